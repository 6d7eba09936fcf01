// A booked resident who checked in before their time (ux16 H2): one clear notice on the waiting screen.
//
// Before, an early check-in flashed 「来た 順番に お呼びします」 and, when nobody could answer, the "no one can
// answer" panel under it asked the resident to phone the town hall or leave a number — from inside a post office,
// with a booking (and a call-back would have used that booking up). Now the notice says their booked time and that
// the booking is kept, then either that a free staff member calls them in order now, or, when nobody can answer,
// that they can wait here or leave and check in again shortly before their time (then they go first); the
// 「いったん やめる」 button gives the wait up and the booking back (bookings/checkin.gives_the_booking_back).
// Its own module: the booth's script is long, and this is one small rule over two server facts.

import { formatTime, timeZone } from "./clock.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class EarlyNotice {
  /** @param {{leave: () => void}} options `leave`: give the wait up (the booking is booked again) */
  constructor({ leave }) {
    this.booking = null; // {start, priority_from} of an early check-in; null otherwise
    this.nobody = false;
    $("waiting-early-leave").addEventListener("click", () => leave());
    document.addEventListener("i18n:change", () => this.render(this.nobody));
  }

  /** The check-in's ack (`booking`): remembered only for an early one that says its time. */
  set(booking) {
    const early = booking?.outcome === "early" && Number.isFinite(Date.parse(booking.start ?? ""));
    this.booking = early ? booking : null;
  }

  get active() {
    return this.booking !== null;
  }

  clear() {
    this.booking = null;
    $("waiting-early").hidden = true;
  }

  /** `nobody`: nobody can answer now (the server's no_answer reason, whichever). */
  render(nobody) {
    this.nobody = nobody;
    const box = $("waiting-early");
    box.hidden = !this.booking;
    if (!this.booking) return;
    const at = (iso) => formatTime(Date.parse(iso) / 1000, timeZone());
    const from = Number.isFinite(Date.parse(this.booking.priority_from ?? ""))
      ? at(this.booking.priority_from)
      : at(this.booking.start);
    box.dataset.nobody = String(nobody);
    $("waiting-early-time").textContent = t("booth.early.time", { time: at(this.booking.start) });
    $("waiting-early-next").textContent = nobody ? t("booth.early.nobody", { from }) : t("booth.early.someone");
    $("waiting-early-leave").hidden = !nobody;
  }
}
