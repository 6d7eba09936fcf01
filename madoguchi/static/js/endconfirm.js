// The agent's 「通話を終える」 asks once before it ends the consultation, as the kiosk's hang-up does.
//
// Why: one click on the red button used to end the call and drop the agent into wrap-up; a slip of the mouse cut a
// resident off. The question opens under the call controls (data-testid="end-call-ask") with 「はい、終えます」
// (end-call-confirm, focused, so Enter ends) and 「いいえ、続けます」 (end-call-cancel); Escape also goes back.
// The end-call button keeps its testid and only opens the question.

const $ = (id) => document.getElementById(id);

export class EndConfirm {
  /** @param {{onConfirm: () => void}} options  what ending does (console.js endCall) */
  constructor({ onConfirm }) {
    this.box = $("end-confirm");
    this.button = $("end-call");
    this.button.addEventListener("click", () => (this.box.hidden ? this.open() : this.close()));
    $("end-call-confirm").addEventListener("click", () => {
      this.close();
      onConfirm();
    });
    $("end-call-cancel").addEventListener("click", () => this.close({ refocus: true }));
    this.box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close({ refocus: true });
    });
  }

  open() {
    this.box.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    $("end-call-confirm").focus();
  }

  /** Put the question away (a new call, the call ended, or the agent said no). */
  close({ refocus = false } = {}) {
    this.box.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) this.button.focus();
  }
}
