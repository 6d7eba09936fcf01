// The kiosk's check-in pad: a booked resident types the eight digits of their booking code (or shows its QR code,
// qrcheckin.js, which types them here); the server checks it in (consultation.request with `booking`) and, within
// the booking's window, the resident goes ahead of walk-ins. Why its own module: the pad's state (the digits so
// far) and its refusals in plain words are nothing the rest of the booth needs.

import { SEND } from "./events.js";
import { language, t } from "./i18n.js";
import { errorText, request } from "./net.js";

const $ = (id) => document.getElementById(id);

export const CHECKIN_DIGITS = 8;
const CHECKIN_REFUSALS = new Set(["unknown_code", "not_today", "not_changeable", "too_many_wrong_codes"]);

export class CheckInPad {
  /**
   * @param {object} options
   * @param {import("/static/vendor/socket.io.esm.min.js").Socket} options.socket
   * @param {{show: (text: string) => void}} options.banner
   * @param {{begin: () => boolean, end: () => void}} options.lock one request at a time across the booth
   * @param {(ack: object) => void} options.checkedIn the server took the booking: the resident waits
   */
  constructor({ socket, banner, lock, checkedIn }) {
    this.socket = socket;
    this.banner = banner;
    this.lock = lock;
    this.checkedIn = checkedIn;
    this.code = "";
    for (const key of document.querySelectorAll("#checkin-pad .numpad-key")) {
      key.addEventListener("click", () => this.press(key.dataset.key));
    }
    $("checkin-submit").addEventListener("click", () => this.submit());
  }

  press(key) {
    if (key === "clear") this.set("");
    else if (key === "delete") this.set(this.code.slice(0, -1));
    else if (this.code.length < CHECKIN_DIGITS) this.set(this.code + key);
  }

  set(code) {
    this.code = code;
    $("checkin-code").textContent = code.replace(/(\d{4})(?=\d)/, "$1 ");
    $("checkin-submit").disabled = code.length !== CHECKIN_DIGITS;
  }

  /** A booked resident's code: the server checks it in; within the window they go ahead of walk-ins. */
  async submit() {
    if (this.code.length !== CHECKIN_DIGITS || !this.lock.begin()) return;
    $("checkin-submit").disabled = true;
    try {
      const ack = await request(this.socket, SEND.CONSULTATION_REQUEST, { booking: this.code, language: language() });
      this.set("");
      this.checkedIn(ack);
      this.banner.show(t(`booth.checkin.${ack.booking.outcome}`));
    } catch (err) {
      this.banner.show(CHECKIN_REFUSALS.has(err.code) ? t(`booth.checkin.error.${err.code}`) : errorText(err));
      this.set(this.code);
    } finally {
      this.lock.end();
    }
  }
}
