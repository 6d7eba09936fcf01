// The "no one can answer" panel (data-testid="no-answer") on the kiosk's waiting screen and the chat page.
//
// Why its own module: both pages need it the same way, and both page scripts are long already. The server says
// why nobody can answer (`no_answer` in queue.position and in the resident's view: "closed", "nobody",
// "long_wait"; madoguchi/signaling/no_answer.py) and after how long a wait the resident should be offered
// another way (`no_answer_after_s`); this module shows the reason in plain words, the town's phone number (page
// text town.phone) and opening hours (`hours` in the same messages: the admin-editable hours, townhours.js), and
// a call-back form: the resident
// leaves a phone number and the office calls back (callback.request). The kiosk gets big number keys, since a
// booth has no keyboard. Waiting goes on meanwhile: if someone comes on duty the panel goes away by itself.

import { hasText, t } from "./i18n.js";
import { setDial } from "./hotlines.js";
import { formatPhoneAsTyped } from "./numbers.js";
import { holdsPersonalNumber } from "./bookinput.js";
import { hoursText } from "./townhours.js";

const HEADINGS = {
  closed: "no_answer.closed",
  nobody: "no_answer.nobody",
  long_wait: "no_answer.long_wait",
};
const MAX_DIGITS = 15;

export class NoAnswerPanel {
  /**
   * @param {HTMLElement} root the panel (its parts are found by id inside it)
   * @param {(phone: string) => Promise<unknown>} send asks the server for the call-back
   * @param {(err: unknown) => void} onError shows a refusal in plain words
   */
  constructor(root, { send, onError }) {
    this.root = root;
    this.send = send;
    this.onError = onError;
    this.reason = null; // the server's reason
    this.afterS = null; // waiting past this offers the panel too (the server's no_answer_after_s)
    this.waitedAt = null; // {waited, at}: the server's waited_s and this page's clock when it came
    this.hours = null; // the town's opening hours (the server's TownHours), when it has them
    this.sending = false;
    this.quiet = false; // the page says it another way (the kiosk's early booked resident): the panel stays hidden
    this.part("callback-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    for (const key of root.querySelectorAll("[data-callback-key]")) {
      key.addEventListener("click", () => this.press(key.dataset.callbackKey));
    }
    this.part("callback-phone").addEventListener("input", () => this.clearError());
    // The chat page's folded form: opened, its button is brought into view inside the panel (which scrolls under
    // its sticky heading on a phone), so the resident sees both why and where to type.
    this.part("callback-more")?.addEventListener("toggle", (event) => {
      if (event.target.open) this.part("callback-submit").scrollIntoView({ block: "nearest" });
    });
    document.addEventListener("i18n:change", () => this.render());
  }

  part(id) {
    return this.root.querySelector(`#${id}`);
  }

  /** A queue.position or the resident's view: the reason, the threshold and the time waited so far. */
  update(message) {
    if (!message) return;
    this.reason = typeof message.no_answer === "string" ? message.no_answer : null;
    if ("hours" in message) this.hours = message.hours || null;
    const after = Number(message.no_answer_after_s);
    this.afterS = Number.isFinite(after) && after > 0 ? after : this.afterS;
    const waited = Number(message.waited_s);
    if (message.waited_s !== null && message.waited_s !== undefined && Number.isFinite(waited)) {
      this.waitedAt = { waited, at: performance.now() / 1000 };
    }
    this.render(Boolean(message.ringing) || message.state === "offered");
  }

  /** The reason now: the server's, or "long_wait" once the resident has waited past the threshold. */
  current(ringing = false) {
    if (ringing) return null; // a console is ringing: someone is answering
    if (this.reason) return this.reason;
    if (this.afterS !== null && this.waitedAt !== null) {
      const waited = this.waitedAt.waited + (performance.now() / 1000 - this.waitedAt.at);
      if (waited >= this.afterS) return "long_wait";
    }
    return null;
  }

  render(ringing = false) {
    const reason = this.current(ringing);
    const wasHidden = this.root.hidden;
    this.root.hidden = reason === null || this.quiet;
    this.root.dataset.reason = reason || "";
    document.body.dataset.noAnswer = reason || "";
    if (reason === null || this.quiet) return;
    this.part("no-answer-heading").textContent = t(HEADINGS[reason]);
    const office = this.part("no-answer-office");
    const hours = hoursText(this.hours);
    const known = hasText("town.phone");
    office.hidden = !known && !hours;
    const phone = this.part("no-answer-phone");
    phone.hidden = !known;
    phone.previousElementSibling.hidden = !known; // 「役場の 電話:」
    if (known) {
      phone.textContent = t("town.phone");
      setDial(phone, t("town.phone")); // plain large text on the kiosk, tel: on a phone
    }
    this.part("no-answer-hours").textContent = hours;
    if (wasHidden) this.clearError();
  }

  press(key) {
    const input = this.part("callback-phone");
    // the keys edit the digits; the box shows them grouped as staff read numbers (numbers.js), as they are typed
    let digits = input.value.replace(/\D/g, "");
    if (key === "clear") digits = "";
    else if (key === "delete") digits = digits.slice(0, -1);
    else if (digits.length < MAX_DIGITS) digits += key;
    input.value = formatPhoneAsTyped(digits);
    this.clearError();
  }

  showError(text) {
    const error = this.part("callback-error");
    error.textContent = text;
    error.hidden = false;
    this.part("callback-phone").focus();
  }

  clearError() {
    const error = this.part("callback-error");
    error.hidden = true;
    error.textContent = "";
  }

  async submit() {
    const input = this.part("callback-phone");
    const digits = input.value.normalize("NFKC").replace(/[\s\-‐()]/g, "");
    const error = this.part("callback-error");
    if (holdsPersonalNumber(input.value)) {
      this.showError(t("privacy.personal_number")); // the chat's sentence; nothing is sent
      return;
    }
    if (!/^(0\d{9,10}|\+\d{10,15})$/.test(digits)) {
      error.textContent = t("no_answer.callback_invalid");
      error.hidden = false;
      input.focus();
      return;
    }
    if (this.sending) return;
    this.sending = true;
    const button = this.part("callback-submit");
    button.disabled = true;
    try {
      await this.send(digits); // the server closes the case (reason "callback"); the page says what happens next
    } catch (err) {
      if (err?.code === "personal_number") this.showError(t("privacy.personal_number"));
      else this.onError(err);
    } finally {
      this.sending = false;
      button.disabled = false;
    }
  }

  /** Forget everything (the resident has gone). */
  reset() {
    this.reason = null;
    this.afterS = null;
    this.waitedAt = null;
    this.hours = null;
    this.quiet = false;
    this.part("callback-phone").value = "";
    const more = this.part("callback-more"); // the chat page's folded form starts folded again
    if (more) more.open = false;
    this.clearError();
    this.root.hidden = true;
    document.body.dataset.noAnswer = "";
  }
}
