// The text chat beside the video, shared by the kiosk and the console.
//
// Why a class: both pages need the same rules.
// - Lines are rendered by seq, once: a seq already shown is ignored, so the echo, a repeat and the transcript
//   replayed in the state event after a reconnect can overlap freely and the gaps fill themselves.
// - What someone types goes into an outbox (outbox.js) and shows at once at the bottom as a pending line
//   (data-pending, a "sending" mark). It is sent, in order, until the server acknowledges it; after a lost ack
//   or a dropped link it is sent again with the same client_id, so the server stores it exactly once.
// - The recorded line replaces the pending one. The server's text is what stays on screen (resident text
//   arrives masked), so a line acknowledged before its echo is shown provisionally and corrected by the echo.
// - clear() leaves nothing behind when a resident leaves.

import { firstKnownKey, t } from "./i18n.js";
import { errorText, newClientId } from "./net.js";
import { Outbox } from "./outbox.js";

const MAX_LINES = 500;
const PENDING_KEYS = ["chat.pending", "booth.routes.sending"];

/** "Sending…" under a line the server has not acknowledged yet (both chat panels use it). */
export function pendingMark() {
  const mark = document.createElement("span");
  mark.className = "chat-pending-mark";
  const key = firstKnownKey(...PENDING_KEYS);
  mark.dataset.i18n = key;
  mark.textContent = t(key);
  mark.style.display = "block"; // CSSOM, allowed by the page's CSP
  mark.style.fontSize = "0.75em";
  return mark;
}

export class ChatPanel {
  /**
   * @param {object} options
   * @param {any} options.socket
   * @param {HTMLOListElement} options.log
   * @param {HTMLFormElement} options.form
   * @param {HTMLInputElement} options.input
   * @param {HTMLButtonElement} options.button
   * @param {"resident"|"agent"} options.me  which sender is this page
   * @param {Record<string, string>} options.senderKeys  i18n key of the label for each sender
   * @param {() => string|null} options.consultationId
   * @param {(text: string) => void} options.onError
   * @param {() => void} [options.onMasked]  the server hid a number in a line we sent (it was not kept)
   */
  constructor({ socket, log, form, input, button, me, senderKeys, consultationId, onError, onMasked }) {
    this.socket = socket;
    this.log = log;
    this.input = input;
    this.button = button;
    this.me = me;
    this.senderKeys = senderKeys;
    this.consultationId = consultationId;
    this.onError = onError;
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
        this.onError(errorText(err));
      },
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
  }

  /** Queue what is in the input; it goes now, or as soon as the link is back. */
  send() {
    const consultationId = this.consultationId();
    const text = this.input.value.trim();
    if (!consultationId || !text) return;
    const item = this.outbox.add({ consultation_id: consultationId, text, client_id: newClientId() });
    if (!item) return; // far too many lines waiting; keep the draft
    this.input.value = "";
    this.input.focus();
    item.consultationId = consultationId;
    item.element = this.pendingLine(text, item.clientId);
    this.adopt(consultationId);
    this.log.append(item.element);
    this.log.scrollTop = this.log.scrollHeight;
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
    if (item.consultationId !== this.shownFor || !Number.isInteger(seq) || this.seen.has(seq)) return;
    // The ack beat the echo (or the echo was lost with the link): show our words until the server's arrive.
    this.provisional.add(seq);
    this.receive(
      { consultation_id: item.consultationId, seq, sender: this.me, text: item.payload.text },
      item.consultationId,
      { provisional: true },
    );
  }

  adopt(consultationId) {
    if (this.shownFor === consultationId) return;
    this.shownFor = consultationId;
    this.seen.clear();
    this.provisional.clear();
    this.lastSeq = 0;
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
    // In seq order, above any line still waiting to be sent.
    const after = [...this.log.children].find((li) => li.dataset.pending || Number(li.dataset.seq) > seq);
    this.log.insertBefore(item, after || null);
    while (this.log.children.length > MAX_LINES) this.log.firstElementChild.remove();
    this.log.scrollTop = this.log.scrollHeight;
  }

  lineElement(sender, text) {
    const item = document.createElement("li");
    item.className = "chat-line";
    if (sender === this.me) item.classList.add("mine");
    if (sender === "system") item.classList.add("notice");
    item.dataset.sender = sender;
    const label = document.createElement("span");
    label.className = "chat-sender";
    const key = this.senderKeys[sender] || "chat.sender.system";
    label.dataset.i18n = key;
    label.textContent = t(key);
    const body = document.createElement("span");
    body.className = "chat-text";
    body.textContent = text; // never innerHTML: the text is whatever someone typed
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

  /** Forget everything: lines, the draft and any pending send. */
  clear() {
    this.outbox.clear();
    this.log.replaceChildren();
    delete this.log.dataset.lastSeq;
    this.seen.clear();
    this.provisional.clear();
    this.lastSeq = 0;
    this.shownFor = null;
    this.input.value = "";
  }
}
