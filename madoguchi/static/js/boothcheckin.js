// The kiosk's check-in pad: a booked resident types the twelve digits of their booking code (eight for a code given
// before session 13), or shows its QR code (qrcheckin.js, which types them here); the server checks it in
// (consultation.request with `booking`) and, within the booking's window, the resident goes ahead of walk-ins. Why
// its own module: the pad's state (the digits so far) and its refusals in plain words are nothing the rest of the
// booth needs.

import { timeZone } from "./clock.js";
import { formatDayAndTime } from "./dates.js";
import { SEND } from "./events.js";
import { language, setLanguage, t } from "./i18n.js";
import { errorText, request } from "./net.js";

const $ = (id) => document.getElementById(id);

export const CHECKIN_DIGITS = 12; // a code's digits: 12, or 8 for one given before session 13 (bookings/codes.py)
export const OLD_CHECKIN_DIGITS = 8;
const CHECKIN_REFUSALS = new Set(["unknown_code", "not_today", "not_changeable", "cancelled", "too_many_wrong_codes"]);

export class CheckInPad {
  /**
   * @param {object} options
   * @param {import("/static/vendor/socket.io.esm.min.js").Socket} options.socket
   * @param {{show: (text: string) => void}} options.banner
   * @param {{begin: () => boolean, end: () => void}} options.lock one request at a time across the booth
   * @param {(ack: object) => void} options.checkedIn the server took the booking: the resident waits
   */
  constructor({ socket, banner, lock, checkedIn, languageChosen = () => false }) {
    this.socket = socket;
    this.languageChosen = languageChosen;
    this.banner = banner;
    this.lock = lock;
    this.checkedIn = checkedIn;
    this.code = "";
    for (const key of document.querySelectorAll("#checkin-pad .numpad-key")) {
      key.addEventListener("click", () => this.press(key.dataset.key));
    }
    $("checkin-submit").addEventListener("click", () => this.submit());
    document.addEventListener("i18n:change", () => this.renderHint());
    $("checkin-refusal-ok").addEventListener("click", () => this.hideRefusal());
  }

  /** A refused code, over the pad in large print: which day and time was booked when it is another day, and what
   * to do; 「わかりました」 goes back to the pad (the digits stay to check). A booking made in another language
   * says it in that language unless the resident chose the kiosk's (as a checked-in booking does, below). */
  async showRefusal(err) {
    const booked = err.details?.language;
    if (booked && booked !== language() && !this.languageChosen()) await setLanguage(booked).catch(() => {});
    const start = err.code === "not_today" ? Date.parse(err.details?.start ?? "") : NaN;
    // eight digits no booking has: most likely the first eight of a 12-digit code, confirmed too soon (tidy14:
    // 「その 番号の 予約は ありません」 sent the resident away); the digits stay, so the last four can follow
    const eight = err.code === "unknown_code" && this.code.length === OLD_CHECKIN_DIGITS;
    const text = Number.isFinite(start)
      ? t("booth.checkin.not_today.when", { when: bookedWhen(start) })
      : eight
        ? t("booth.checkin.error.unknown_code_eight")
        : CHECKIN_REFUSALS.has(err.code)
          ? t(`booth.checkin.error.${err.code}`)
          : errorText(err);
    $("checkin-refusal-text").textContent = text;
    $("checkin-refusal-do").textContent = Number.isFinite(start) ? t("booth.checkin.not_today.do") : "";
    $("checkin-refusal-do").hidden = !Number.isFinite(start);
    $("checkin-refusal").hidden = false;
    $("checkin-refusal-ok").focus();
  }

  hideRefusal() {
    $("checkin-refusal").hidden = true;
  }

  press(key) {
    if (key === "clear") this.set("");
    else if (key === "delete") this.set(this.code.slice(0, -1));
    else if (this.code.length < CHECKIN_DIGITS) this.set(this.code + key);
  }

  set(code) {
    if (code === "") this.hideRefusal(); // a new resident, or the screen left: no old refusal stays
    this.code = code;
    $("checkin-code").textContent = code.replace(/(\d{4})(?=\d)/g, "$1 ");
    $("checkin-submit").disabled = !complete(code);
    this.renderHint();
  }

  /** How many digits are still to come, in plain words under the digits (checkinHint). */
  renderHint() {
    const hint = checkinHint(this.code.length);
    $("checkin-hint").dataset.digits = String(this.code.length);
    $("checkin-hint").textContent = hint ? t(hint.key, hint.params) : "";
  }

  /** A booked resident's code: the server checks it in; within the window they go ahead of walk-ins. */
  async submit() {
    if (!complete(this.code) || !this.lock.begin()) return;
    $("checkin-submit").disabled = true;
    try {
      const ack = await request(this.socket, SEND.CONSULTATION_REQUEST, {
        booking: this.code,
        language: language(),
        language_chosen: this.languageChosen(),
      });
      this.set("");
      // booked in Vietnamese, the kiosk still in Japanese: the screen speaks the booking's language, as the agent
      // is told to (the consultation carries it)
      const booked = ack.booking?.language;
      if (booked && booked !== language()) await setLanguage(booked).catch(() => {});
      this.checkedIn(ack);
      // early with its time known: the waiting screen's own notice says it (boothearly.js), not a banner
      if (!(ack.booking.outcome === "early" && ack.booking.start)) this.banner.show(t(`booth.checkin.${ack.booking.outcome}`));
    } catch (err) {
      if (CHECKIN_REFUSALS.has(err.code)) await this.showRefusal(err);
      else this.banner.show(errorText(err)); // offline, busy: the banner, as everywhere on the kiosk
      this.set(this.code);
    } finally {
      this.lock.end();
    }
  }
}

/** Whether the digits so far can be sent: all twelve, or the eight of a code given before session 13. */
function complete(code) {
  return code.length === CHECKIN_DIGITS || code.length === OLD_CHECKIN_DIGITS;
}

/**
 * The line under the digits for `typed` digits (tidy14: confirming was possible at eight, and a resident typing
 * twelve who pressed it there was told there was no such booking): how many are left of twelve; at eight, that
 * twelve need four more and that an eight-digit number from before can be sent now; at twelve, to press the
 * button. Nothing before the first digit (the lead above says the length). Pure.
 * @returns {{key: string, params?: object}|null}
 */
export function checkinHint(typed) {
  if (typed <= 0) return null;
  if (typed === OLD_CHECKIN_DIGITS) return { key: "booth.checkin.hint.eight" };
  if (typed >= CHECKIN_DIGITS) return { key: "booth.checkin.hint.full" };
  return { key: "booth.checkin.hint.left", params: { n: CHECKIN_DIGITS - typed } };
}

/** 「12月9日(水) 10:00」 in the kiosk's language and the town's zone. */
function bookedWhen(epochMs) {
  return formatDayAndTime(new Date(epochMs), { timeZone: timeZone() });
}
