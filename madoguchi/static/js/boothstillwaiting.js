// 「まだ お待ちですか？」: the kiosk's waiting (and "no one can answer") screen, untouched for a while, asks whether the
// resident is still there, with large はい／いいえ and a countdown. はい keeps the place (the server's wait time
// keeps counting: nothing is sent); いいえ, or no answer when the countdown ends, cancels the case as the resident
// leaving (the booth's ordinary consultation.cancel) and the kiosk goes back to its start.
//
// Why: elderly residents often walk away after "nobody can answer now"; the next one found a stranger's 税金 case
// and a phone keypad, the supervisors counted a phantom waiting resident and an agent coming on duty rang an empty
// booth (ux13). The times come from the page (the server's settings, `data-still-waiting-seconds` and
// `data-still-waiting-answer-seconds`), so tests set them short.
//
// What survives a reload (localStorage, per booth; no resident data, only the case's id and times): when the
// screen was last touched, when the question was asked, and that the case was left. A reload that finds the case
// still waiting continues from there — the question comes when it would have, or at once if the page has no record
// of the case; a case already left is cancelled again (the first cancel may not have reached the server) and never
// shown. A live call is not this module's: it resumes as before.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class StillWaiting {
  /**
   * @param {object} options
   * @param {string} options.boothId
   * @param {number} options.afterMs  untouched this long, the question comes
   * @param {number} options.answerMs  the countdown
   * @param {() => boolean} options.askable  whether the question may come now (waiting, and no console ringing)
   * @param {(id: string) => void} options.leave  the resident left (いいえ or no answer): cancel the case, go idle
   * @param {() => number} [options.now]  the clock, in ms
   */
  constructor({ boothId, afterMs, answerMs, askable, leave, now = () => Date.now() }) {
    this.key = `madoguchi.booth.${boothId}.still_waiting`;
    this.afterMs = afterMs;
    this.answerMs = answerMs;
    this.askable = askable;
    this.leave = leave;
    this.now = now;
    this.record = null; // {id, touched, asked (ms or null), left}
    this.watching = false; // the waiting screen shows this record's case
    this.timer = null;
    this.ticker = null;
    this.root = $("still-waiting");
    $("still-waiting-yes").addEventListener("click", () => this.stay());
    $("still-waiting-no").addEventListener("click", () => this.left());
    // any touch or key on the waiting screen (the call-back keypad too) says someone is there
    const touched = (event) => {
      if (this.watching && this.record && !this.record.asked && !this.root.contains(event.target)) this.touch();
    };
    document.addEventListener("pointerdown", touched, true);
    document.addEventListener("keydown", touched, true);
    document.addEventListener("i18n:change", () => this.renderCountdown());
  }

  /** The kiosk shows the waiting screen for case `id`: watch it (kept as it was when it is the same case). */
  watch(id) {
    if (this.record?.id !== id) {
      const stored = this.load();
      this.record = stored?.id === id ? stored : { id, touched: this.now(), asked: null, left: false };
      this.save();
    }
    this.watching = true;
    this.schedule();
  }

  /** A page that was (re)loaded finds case `id` waiting: without a record of this case, nobody is known to be there,
   * so the question comes at once. */
  resumed(id) {
    const stored = this.load();
    if (stored?.id === id) return;
    this.record = { id, touched: this.now() - this.afterMs, asked: null, left: false };
    this.save();
  }

  /** Whether case `id` was left here (asked, and いいえ or no answer), its cancel perhaps not yet heard. */
  wasLeft(id) {
    const stored = this.record?.id === id ? this.record : this.load();
    return Boolean(stored && stored.id === id && stored.left);
  }

  /** The screen is no longer the waiting one (a call, the thanks, idle): nothing to ask. */
  stop() {
    this.watching = false;
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.timer = this.ticker = null;
    this.root.hidden = true;
  }

  /** The case is over (or its cancel was heard): nothing of it is kept. A case left but not yet cancelled stays. */
  forget({ evenIfLeft = false } = {}) {
    this.stop();
    if (this.record?.left && !evenIfLeft) return;
    this.record = null;
    try {
      localStorage.removeItem(this.key);
    } catch {
      // no storage: nothing was kept
    }
  }

  /** The cancel of a case left here was heard (or the case was over already): its mark goes. */
  cleared(id) {
    if (this.record?.id === id) this.record = null;
    if (this.load()?.id !== id) return;
    try {
      localStorage.removeItem(this.key);
    } catch {
      // no storage: nothing was kept
    }
  }

  touch() {
    this.record.touched = this.now();
    this.save();
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    const r = this.record;
    if (!r || r.left || !this.watching) return;
    if (r.asked) return this.showQuestion();
    this.timer = setTimeout(() => this.ask(), Math.max(0, r.touched + this.afterMs - this.now()));
  }

  ask() {
    if (!this.record || this.record.left || !this.watching) return;
    if (!this.askable()) {
      this.timer = setTimeout(() => this.ask(), 5000); // e.g. a console rings with the case: ask after that
      return;
    }
    this.record.asked = this.now();
    this.save();
    this.showQuestion();
  }

  showQuestion() {
    this.root.hidden = false;
    this.renderCountdown();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.renderCountdown(), 250);
    $("still-waiting-yes").focus();
  }

  remainingSeconds() {
    if (!this.record?.asked) return Math.ceil(this.answerMs / 1000);
    return Math.max(0, Math.ceil((this.record.asked + this.answerMs - this.now()) / 1000));
  }

  renderCountdown() {
    if (this.root.hidden || !this.record) return;
    const seconds = this.remainingSeconds();
    const countdown = $("still-waiting-countdown");
    countdown.dataset.seconds = String(seconds);
    countdown.textContent = t("booth.still_waiting.countdown", { seconds });
    if (seconds <= 0) this.left();
  }

  /** はい: the place is kept; the question comes again after the same time untouched. */
  stay() {
    if (!this.record) return;
    clearInterval(this.ticker);
    this.root.hidden = true;
    this.record.asked = null;
    this.touch();
  }

  /** いいえ, or the countdown ran out: marked first (a reload does not bring the case back), then left. */
  left() {
    const r = this.record;
    if (!r || r.left) return;
    r.left = true;
    this.save();
    this.stop();
    this.leave(r.id);
  }

  load() {
    try {
      const value = JSON.parse(localStorage.getItem(this.key) || "null");
      return value && value.id != null ? value : null;
    } catch {
      return null;
    }
  }

  save() {
    try {
      if (this.record) localStorage.setItem(this.key, JSON.stringify(this.record));
    } catch {
      // no storage: the question still comes; only a reload forgets it
    }
  }
}
