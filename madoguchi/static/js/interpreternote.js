// The resident's side of an interpreter (the kiosk and the chat page): 「通訳の 人を よんでいます」 while staff call
// one in (interpreter.called), 「通訳の 人が 入りました」 when they join (participant.joined as interpreter), 「…出ました」
// when they leave; cleared when the call ends. In the resident's language, from the same catalogs as the page.

import { RECEIVE } from "./events.js";
import { nowSeconds } from "./net.js";
import { t } from "./i18n.js";

const KEYS = Object.freeze({
  called: "media.interpreter.called",
  joined: "media.interpreter.joined",
  left: "media.interpreter.left",
});

export class InterpreterNote {
  /** socket; consultation() the resident's case in a call ({id}) or null. */
  constructor({ socket, consultation }) {
    this.el = document.getElementById("interpreter-note");
    this.consultation = consultation;
    this.state = null;
    this.interpreter = null; // the participant key of the interpreter who joined
    const ours = (message) => message.consultation_id === this.consultation()?.id;
    this.timer = null;
    socket.on(RECEIVE.INTERPRETER_CALLED, (message) => ours(message) && this.called(message));
    // the invitee said ことわる: nobody is being called any more, unless another invitation is still open
    // (still_until: when the last open one expires); then 「よんでいます」 stays until that one runs out
    socket.on(RECEIVE.INTERPRETER_DECLINED, (message) => ours(message) && this.state === "called" && this.declined(message));
    // the invitation ended with its call (a transfer, the end) before anyone came: nobody is being called now
    socket.on(RECEIVE.INTERPRETER_WITHDRAWN, (message) => ours(message) && this.state === "called" && this.clear());
    socket.on(RECEIVE.PARTICIPANT_JOINED, (message) => {
      if (!ours(message) || message.role !== "interpreter") return;
      this.interpreter = message.participant;
      this.show("joined");
    });
    socket.on(RECEIVE.PARTICIPANT_LEFT, (message) => {
      if (ours(message) && message.participant === this.interpreter) this.show("left");
    });
    socket.on(RECEIVE.CALL_END, () => this.clear());
    socket.on(RECEIVE.CONSULTATION_CLOSED, () => this.clear());
    document.addEventListener("i18n:change", () => this.render());
  }

  /** 「よんでいます」 until the invitation's ``expires_at`` (Unix seconds): then nobody is coming, and it goes. */
  called(message) {
    this.show("called");
    const left = Math.max(0, Number(message.expires_at) - nowSeconds());
    this.timer = setTimeout(() => this.state === "called" && this.clear(), left * 1000);
  }

  declined(message) {
    const until = Number(message.still_until);
    if (message.still_until != null && until > nowSeconds()) this.called({ expires_at: until });
    else this.clear();
  }

  show(state) {
    clearTimeout(this.timer);
    this.state = state;
    this.render();
  }

  clear() {
    clearTimeout(this.timer);
    this.state = null;
    this.interpreter = null;
    this.render();
  }

  render() {
    if (!this.el) return;
    this.el.hidden = !this.state;
    this.el.textContent = this.state ? t(KEYS[this.state]) : "";
    if (this.state) this.el.dataset.state = this.state;
    else delete this.el.dataset.state;
  }
}
