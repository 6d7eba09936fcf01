// The text chat beside the video, shared by the kiosk and the console.
//
// Why a class: both pages need the same rules. Lines are shown only when the server echoes them (so what is
// on screen is what was recorded), duplicates are dropped by seq, a retry after a lost ack reuses the same
// client_id (the server's idempotency key), and clear() leaves nothing behind when a resident leaves.

import { t } from "./i18n.js";
import { request, errorText, newClientId } from "./net.js";

const MAX_LINES = 500;

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
   */
  constructor({ socket, log, form, input, button, me, senderKeys, consultationId, onError }) {
    this.socket = socket;
    this.log = log;
    this.input = input;
    this.button = button;
    this.me = me;
    this.senderKeys = senderKeys;
    this.consultationId = consultationId;
    this.onError = onError;
    this.seen = new Set();
    this.pending = null; // {text, clientId} of a send whose ack has not arrived
    this.sending = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
  }

  async send() {
    const consultationId = this.consultationId();
    const text = this.input.value.trim();
    if (!consultationId || !text || this.sending) return;
    if (!this.pending || this.pending.text !== text) this.pending = { text, clientId: newClientId() };
    this.sending = true;
    this.button.disabled = true;
    try {
      await request(this.socket, "chat.send", { consultation_id: consultationId, text, client_id: this.pending.clientId });
      this.pending = null;
      if (this.input.value.trim() === text) this.input.value = "";
    } catch (err) {
      this.onError(errorText(err));
    } finally {
      this.sending = false;
      this.button.disabled = false;
      this.input.focus();
    }
  }

  /** Show a `chat.message` (ignores other consultations and repeats). */
  receive(message, currentConsultationId) {
    if (message.consultation_id !== currentConsultationId) return;
    if (this.seen.has(message.seq)) return;
    this.seen.add(message.seq);
    const item = document.createElement("li");
    item.className = "chat-line";
    if (message.sender === this.me) item.classList.add("mine");
    if (message.sender === "system") item.classList.add("notice");
    item.dataset.sender = message.sender;
    item.dataset.seq = String(message.seq);
    const label = document.createElement("span");
    label.className = "chat-sender";
    const key = this.senderKeys[message.sender] || "chat.sender.system";
    label.dataset.i18n = key;
    label.textContent = t(key);
    const body = document.createElement("span");
    body.className = "chat-text";
    body.textContent = message.text; // never innerHTML: the text is whatever someone typed
    item.append(label, body);
    // Keep the log in seq order even if two messages cross on the way.
    const after = [...this.log.children].find((li) => Number(li.dataset.seq) > message.seq);
    this.log.insertBefore(item, after || null);
    while (this.log.children.length > MAX_LINES) this.log.firstElementChild.remove();
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Copies of the lines (for a read-only view such as the console's wrap-up transcript). */
  lines() {
    return [...this.log.children].map((li) => li.cloneNode(true));
  }

  /** Forget everything: lines, the draft and any pending send. */
  clear() {
    this.log.replaceChildren();
    this.seen.clear();
    this.pending = null;
    this.input.value = "";
  }
}
