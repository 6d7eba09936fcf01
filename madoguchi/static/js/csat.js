// The one-tap question after a call or chat (three faces and 「こたえない」), shared by the kiosk and the chat page.
//
// Why it never blocks: the answer goes out in the background and whatever happens to it, the page carries on —
// the kiosk returns to idle on its own timer, the chat page hides the question after a few seconds. The server
// keeps the answer with the case's record, once, and only from the case's own resident (`csat.submit`).

import { SEND } from "./events.js";
import { request } from "./net.js";

export class Csat {
  /**
   * @param {object} options
   * @param {any} options.socket  the page's Socket.IO client socket
   * @param {HTMLElement} options.root  the `.csat` block (templates: booth.html, chat.html)
   * @param {number} [options.hideAfterMs]  hide the question after this long without an answer (0: never)
   */
  constructor({ socket, root, hideAfterMs = 0 }) {
    this.socket = socket;
    this.root = root;
    this.hideAfterMs = hideAfterMs;
    this.consultationId = null;
    this.timer = null;
    for (const button of root.querySelectorAll("[data-csat]")) {
      button.addEventListener("click", () => this.answer(button.dataset.csat));
    }
  }

  /** Ask about this consultation. */
  ask(consultationId) {
    this.consultationId = consultationId;
    this.root.hidden = !consultationId;
    this.root.dataset.answered = "false";
    for (const button of this.root.querySelectorAll("[data-csat]")) button.disabled = false;
    this.root.querySelector(".csat-thanks").hidden = true;
    clearTimeout(this.timer);
    if (consultationId && this.hideAfterMs > 0) this.timer = setTimeout(() => this.reset(), this.hideAfterMs);
  }

  answer(value) {
    const id = this.consultationId;
    if (!id) return;
    this.consultationId = null;
    this.root.dataset.answered = "true";
    for (const button of this.root.querySelectorAll("[data-csat]")) button.disabled = true;
    this.root.querySelector(".csat-thanks").hidden = value === "skip";
    request(this.socket, SEND.CSAT_SUBMIT, { consultation_id: id, answer: value }).catch((err) =>
      console.warn("csat: the answer was not kept", err.code || err),
    );
  }

  /** Nothing of the question left (back to idle, a new chat). */
  reset() {
    clearTimeout(this.timer);
    this.consultationId = null;
    this.root.hidden = true;
  }
}
