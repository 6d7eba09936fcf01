// The console's notice that the resident's screen has gone (peer.link connected: false during a call), and what
// happens next: the server waits the grace period (the page's data-grace-seconds, settings.grace_period_s) for the
// booth or the phone to come back; if it does not, the call ends by itself and the agent lands in wrap-up with
// 「住民の方の 通信が 切れたまま もどりませんでした」. Meanwhile the call timer stands still and says so (中断中),
// rather than counting a call that is not happening.

import { t } from "./i18n.js";
import { nowSeconds } from "./net.js";

const $ = (id) => document.getElementById(id);

export class PeerLostNotice {
  constructor() {
    this.graceS = Math.max(0, Number(document.body.dataset.graceSeconds) || 0);
    this.lostAt = null; // this page's clock when the resident's link went down
    this.held = null; // the call time shown meanwhile
    this.timer = null;
    document.addEventListener("i18n:change", () => this.render());
  }

  get lost() {
    return this.lostAt !== null;
  }

  /** peer.link: the resident's link went down (false) or came back (true); `awayFor` seconds ago (a reloaded
   *  console hears it from agent.state's resident_away_s, so the time left does not start over). */
  update(connected, awayFor = 0) {
    if (connected) return this.clear();
    if (this.lostAt === null) this.lostAt = nowSeconds() - Math.max(0, awayFor);
    clearInterval(this.timer);
    this.timer = setInterval(() => this.render(), 500);
    this.render();
  }

  /** The call is over or back: nothing to say. */
  clear() {
    this.lostAt = null;
    this.held = null;
    clearInterval(this.timer);
    this.timer = null;
    this.render();
  }

  /** The call time to show while the screen is gone: the first one asked for, kept (a later agent.state's
   * talked_s counts on, the timer must not). */
  hold(talked) {
    if (this.held === null) this.held = talked;
    return this.held;
  }

  render() {
    const box = $("peer-lost");
    box.hidden = this.lostAt === null;
    $("call-timer").dataset.state = this.lostAt === null ? "running" : "paused";
    $("call-timer-paused").hidden = this.lostAt === null;
    if (this.lostAt === null) return;
    const left = Math.ceil(this.lostAt + this.graceS - nowSeconds());
    const chat = $("call-view")?.dataset.media === "false" ? "_chat" : ""; // a text chat is not a call
    $("peer-lost-next").textContent =
      this.graceS > 0 && left > 0
        ? t(`console.peer_lost.next${chat}`, { seconds: left })
        : t(`console.peer_lost.soon${chat}`);
  }
}
