// The booth's "closed now" notice (data-testid="closed-now") on the idle screen: outside the opening hours, or on
// a closed day, the kiosk says so plainly before anyone starts to wait, with the hours and the town's phone.
//
// Why it asks the server (hours.get) instead of reading a page text: the hours are the ones an admin edits on
// /admin (or with `madoguchi hours`), and a kiosk runs for days without a reload; it asks on every connect and
// then once a minute, so a change shows within a minute without a restart. A resident may still start: staff
// working late answer, and the "no one can answer" panel takes over if nobody does.

import { SEND } from "./events.js";
import { hasText, t } from "./i18n.js";
import { request } from "./net.js";
import { setDial } from "./hotlines.js";
import { hoursText } from "./townhours.js";

const EVERY_MS = 60_000;

export class ClosedNotice {
  /**
   * @param {HTMLElement} root the notice (its parts are found by data-part inside it)
   * @param {import("/static/vendor/socket.io.esm.min.js").Socket} socket the booth's socket
   * @param {{onHours?: () => void}} [options] told after each answer (the resident chat's call-back says the hours)
   */
  constructor(root, socket, { onHours = null } = {}) {
    this.root = root;
    this.socket = socket;
    this.onHours = onHours;
    this.hours = null;
    this.timer = null;
    document.addEventListener("i18n:change", () => this.render());
  }

  part(name) {
    return this.root.querySelector(`[data-part="${name}"]`);
  }

  /** Ask now, then every minute while connected. */
  start() {
    clearInterval(this.timer);
    this.refresh();
    this.timer = setInterval(() => this.refresh(), EVERY_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    if (!this.socket.connected) return;
    try {
      const ack = await request(this.socket, SEND.HOURS_GET, {});
      this.hours = ack.hours || null;
    } catch (err) {
      console.warn("booth: opening hours unavailable", err?.code || err);
      return; // keep what was shown: a brief outage is no reason to change the notice
    }
    this.render();
    this.onHours?.();
  }

  /** Closed now: the heading, what it means, the hours and the phone; open (or no hours): hidden. Outside the
   * hours with an agent of the town on duty (`staffed`): hidden too, staff can answer (ux14: the notice said
   * 「職員が お答えできない ことが あります」 while agent1 was 受付中). */
  render() {
    const closed = Boolean(this.hours && !this.hours.open_now && !this.hours.staffed);
    this.root.hidden = !closed;
    document.body.dataset.closedNow = String(closed);
    if (!closed) return;
    this.part("hours").textContent = hoursText(this.hours);
    const phone = this.part("phone");
    const known = hasText("town.phone");
    this.part("office").hidden = !known;
    phone.textContent = known ? t("town.phone") : "";
    if (known) setDial(phone, t("town.phone")); // plain large text on the kiosk, tel: on a phone
  }
}
