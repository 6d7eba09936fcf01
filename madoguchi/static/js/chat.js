// The text chat of every page: beside the video on the kiosk and the console, and the whole conversation on the
// resident's phone.
//
// Why a class: all three pages need the same rules.
// - Lines are rendered by seq, once: a seq already shown is ignored, so the echo, a repeat and the transcript
//   replayed in the state event after a reconnect can overlap freely and the gaps fill themselves.
// - What someone types goes into an outbox (outbox.js) and shows at once at the bottom as a pending line
//   (data-pending, a "sending" mark). It is sent, in order, until the server acknowledges it; after a lost ack
//   or a dropped link it is sent again with the same client_id, so the server stores it exactly once.
// - The recorded line replaces the pending one. The server's text is what stays on screen (resident text
//   arrives masked), so a line acknowledged before its echo is shown provisionally and corrected by the echo
//   (the resident's own page waits for the echo instead: it never shows a number before it is masked).
// - clear() leaves nothing behind when a resident leaves.
// What differs between the pages is passed in as small hooks, not by rewriting methods: the classes of a line,
// extras under a line (the bot's suggestion buttons), what a line's payload carries (the resident's first line
// opens a consultation, so it has no consultation id yet), what follows an ack, and where to scroll.

import { formatTime } from "./clock.js";
import { firstKnownKey, t } from "./i18n.js";
import { errorText, newClientId } from "./net.js";
import { Outbox } from "./outbox.js";

const MAX_LINES = 500;
const PENDING_KEYS = ["chat.pending", "booth.routes.sending"];

/** "Sending…" under a line the server has not acknowledged yet. */
function pendingMark() {
  const mark = document.createElement("span");
  mark.className = "chat-pending-mark";
  const key = firstKnownKey(...PENDING_KEYS);
  mark.dataset.i18n = key;
  mark.textContent = t(key);
  mark.style.display = "block"; // CSSOM, allowed by the page's CSP
  mark.style.fontSize = "0.75em";
  return mark;
}

/** Kiosk and console: our own lines to one side, system notices in the middle. */
function mineOrNotice(sender, me) {
  if (sender === me) return ["mine"];
  return sender === "system" ? ["notice"] : [];
}

/** Kiosk and console: a line belongs to the consultation on screen. */
function consultationPayload({ text, consultationId }) {
  return consultationId ? { consultation_id: consultationId, text } : null;
}

export class ChatPanel {
  /**
   * @param {object} options
   * @param {any} options.socket
   * @param {HTMLOListElement} options.log
   * @param {HTMLFormElement|null} options.form  submitting it sends the draft (null: the page sends itself)
   * @param {HTMLInputElement|HTMLTextAreaElement} options.input
   * @param {"resident"|"agent"} options.me  which sender is this page
   * @param {Record<string, string>} options.senderKeys  i18n key of the label of "resident" and "agent" (the
   *   bot and system notices are labelled alike on every page)
   * @param {() => string|null} options.consultationId
   * @param {(text: string, err?: Error) => void} options.onError
   * @param {(sender: string, me: string) => string[]} [options.lineClasses]  classes beside "chat-line"
   * @param {(item: HTMLLIElement, message: object) => void} [options.decorate]  extras under a recorded line
   * @param {(draft: {text: string, consultationId: string|null}) => object|null} [options.payload]  what a
   *   typed line sends besides its client_id; null refuses to send (default: needs a consultation)
   * @param {boolean} [options.provisional]  show our words when the ack beats the echo (default true)
   * @param {(item: object, ack: object) => void} [options.onAck]  after the server acknowledged a line
   * @param {() => void} [options.onShown]  after a line (recorded or pending) was put in the log
   * @param {() => void} [options.scroll]  bring the newest line into view (default: scroll the log)
   * @param {() => void} [options.onMasked]  the server hid a number in a line we sent (it was not kept)
   */
  constructor({
    socket,
    log,
    form,
    input,
    me,
    senderKeys,
    consultationId,
    onError,
    onMasked,
    lineClasses = mineOrNotice,
    decorate = () => {},
    payload = consultationPayload,
    provisional = true,
    onAck = () => {},
    onShown = () => {},
    scroll = () => {
      log.scrollTop = log.scrollHeight;
    },
  }) {
    this.log = log;
    this.input = input;
    this.me = me;
    this.senderKeys = { bot: "chat.sender.bot", system: "chat.sender.system", ...senderKeys };
    this.consultationId = consultationId;
    this.onError = onError;
    this.hooks = { lineClasses, decorate, payload, onAck, onShown, scroll };
    this.showProvisional = provisional;
    this.onMasked = onMasked;
    this.shownFor = null; // the consultation whose lines are on screen
    this.seen = new Set(); // seqs on screen (or trimmed from the top) for shownFor
    this.lastSeq = 0; // the highest seq rendered for shownFor
    this.provisional = new Set(); // seqs shown from our own pending text, waiting for the server's wording
    this.outbox = new Outbox({
      socket,
      onAck: (item, ack) => this.acknowledged(item, ack),
      onReject: (item, err) => {
        item.element?.remove();
        // the writer's words are not lost: back in the box to send again (unless they typed something since)
        if (!this.input.value.trim() && typeof item.payload.text === "string") this.input.value = item.payload.text;
        this.onError(errorText(err), err);
      },
      // still sending (the records are briefly away, or too fast): say so; the line stays pending and goes again
      onDelay: (_item, err) => this.onError(errorText(err), err),
    });
    form?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    // a box of lines (the console's): Enter sends as the one-line field does, Shift+Enter breaks the line, and
    // Enter that confirms a Japanese conversion only confirms it
    if (input.tagName === "TEXTAREA") {
      input.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
        event.preventDefault();
        form ? form.requestSubmit() : this.send();
      });
    }
  }

  /** Queue what is in the input; it goes now, or as soon as the link is back. */
  send() {
    const item = this.say(this.input.value.trim());
    if (!item) return; // nothing typed, nowhere to send it, or far too many lines waiting: keep the draft
    this.input.value = "";
    this.input.focus();
  }

  /** Queue a line (typed, or said for the person, e.g. "I want to talk to staff"); returns the outbox item. */
  say(text) {
    const consultationId = this.consultationId();
    const fields = text ? this.hooks.payload({ text, consultationId }) : null;
    if (!fields) return null;
    const clientId = newClientId();
    const item = this.outbox.add({ ...fields, client_id: clientId });
    if (!item) return null;
    item.consultationId = consultationId;
    item.element = this.pendingLine(text, clientId);
    if (consultationId) this.adopt(consultationId);
    this.log.append(item.element);
    this.hooks.onShown();
    this.hooks.scroll();
    return item;
  }

  pendingLine(text, clientId) {
    const item = this.lineElement(this.me, text);
    item.classList.add("pending");
    item.dataset.pending = "true";
    item.dataset.clientId = clientId;
    item.style.opacity = "0.6"; // CSSOM, allowed by the page's CSP
    item.append(pendingMark());
    return item;
  }

  acknowledged(item, ack) {
    item.element?.remove();
    if (ack.masked) this.onMasked?.();
    const seq = Number(ack.seq);
    const showOurs = this.showProvisional && item.consultationId === this.shownFor;
    if (showOurs && Number.isInteger(seq) && !this.seen.has(seq)) {
      // The ack beat the echo (or the echo was lost with the link): show our words until the server's arrive.
      this.provisional.add(seq);
      this.receive(
        { consultation_id: item.consultationId, seq, sender: this.me, text: item.payload.text },
        item.consultationId,
        { provisional: true },
      );
    }
    this.hooks.onAck(item, ack);
  }

  /** Show the lines of this consultation from now on: another one's recorded lines go, pending ones stay. */
  adopt(consultationId) {
    if (this.shownFor === consultationId) return;
    this.shownFor = consultationId;
    this.seen.clear();
    this.provisional.clear();
    this.lastSeq = 0;
    delete this.log.dataset.lastSeq;
    for (const li of [...this.log.children]) if (!li.dataset.pending) li.remove();
  }

  /** Show a `chat.message` or a replayed line (ignores other consultations and seqs already shown). */
  receive(message, currentConsultationId, { provisional = false } = {}) {
    if (!currentConsultationId || message.consultation_id !== currentConsultationId) return;
    const seq = Number(message.seq);
    if (!Number.isInteger(seq)) return;
    this.adopt(currentConsultationId);
    if (this.seen.has(seq)) {
      if (!provisional && this.provisional.delete(seq)) {
        const shown = this.log.querySelector(`li[data-seq="${seq}"] .chat-text`);
        if (shown) shown.textContent = message.text; // the recorded wording (masked) replaces ours
      }
      return;
    }
    this.seen.add(seq);
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.log.dataset.lastSeq = String(this.lastSeq);
    const item = this.lineElement(message.sender, message.text);
    item.dataset.seq = String(seq);
    const at = Number(message.at);
    if (message.at != null && Number.isFinite(at) && at > 0) {
      const time = document.createElement("time"); // in the municipality's zone, whatever the browser's (clock.js)
      time.className = "chat-time";
      time.dataset.testid = "chat-time";
      time.dateTime = new Date(at * 1000).toISOString();
      // Shown by CSS from data-time, so a line's text stays the sender and the words (what scripts read)
      time.dataset.time = formatTime(at);
      item.append(time); // beside, not inside, the sender label (its text is replaced on a language change)
    }
    this.hooks.decorate(item, message);
    // In seq order, above any line still waiting to be sent.
    const after = [...this.log.children].find((li) => li.dataset.pending || Number(li.dataset.seq) > seq);
    this.log.insertBefore(item, after || null);
    while (this.log.children.length > MAX_LINES) this.log.firstElementChild.remove();
    this.hooks.onShown();
    this.hooks.scroll();
  }

  /** `chat.redact`: earlier lines masked after they were shown (a number sent in pieces) take their stored text. */
  redact(message, currentConsultationId) {
    if (!currentConsultationId || message.consultation_id !== currentConsultationId) return;
    for (const line of Array.isArray(message.lines) ? message.lines : []) {
      const seq = Number(line?.seq);
      if (!Number.isInteger(seq)) continue;
      const shown = this.log.querySelector(`li[data-seq="${seq}"] .chat-text`);
      if (shown) shown.textContent = String(line.text ?? "");
    }
  }

  lineElement(sender, text) {
    const item = document.createElement("li");
    item.className = "chat-line";
    item.classList.add(...this.hooks.lineClasses(sender, this.me));
    item.dataset.sender = sender;
    const label = document.createElement("span");
    label.className = "chat-sender";
    const key = this.senderKeys[sender] || "chat.sender.system";
    label.dataset.i18n = key;
    label.textContent = t(key);
    const body = document.createElement("span");
    body.className = "chat-text";
    body.textContent = String(text ?? ""); // never innerHTML: the text is whatever someone typed
    item.append(label, body);
    return item;
  }

  /** Copies of the recorded lines (for a read-only view such as the console's wrap-up transcript). */
  lines() {
    return [...this.log.children].filter((li) => !li.dataset.pending).map((li) => li.cloneNode(true));
  }

  /** Lines typed but not yet acknowledged by the server. */
  pendingCount() {
    return this.outbox.pending.length;
  }

  /** Forget the lines typed but not yet sent, on screen and in the outbox (their conversation is over). */
  dropPending() {
    this.outbox.clear();
    for (const li of this.log.querySelectorAll("li[data-pending]")) li.remove();
  }

  /** Forget everything: lines, any pending send and (unless keepDraft) the draft. */
  clear({ keepDraft = false } = {}) {
    this.outbox.clear();
    this.log.replaceChildren();
    delete this.log.dataset.lastSeq;
    this.seen.clear();
    this.provisional.clear();
    this.lastSeq = 0;
    this.shownFor = null;
    if (!keepDraft) this.input.value = "";
  }
}
