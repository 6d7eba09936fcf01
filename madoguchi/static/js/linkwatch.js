// Runs the step-down ladder (ladder.js) for one call: samples getStats() every ~2 s, tells the other side our
// proposal, puts the agreed step on our senders and shows it on the page (`link-quality`, `media-mode`).
//
// Why the agreed step is the lowest of both proposals and the agent's forced step: both screens must say the
// same thing in plain words, and a resident told 「声だけで お話ししています」 must not see the agent's video.
// The other side's proposal arrives as a `signal` {mode, forced}; we send ours when it changes and whenever the
// connection (re)connects (the other side may have reloaded and forgotten it).
//
// Why a "checking" look: while the media is (re)connecting or the other side's link is gone, the last sample says
// nothing about now, and 「通信の ようす: よい」 beside 「相手との 通信が 切れています」 is a lie. The call screen
// says when (setConnecting); the pill then reads 「たしかめています」 and carries data-connecting="true", while
// data-state keeps the ladder's last word (good|weak|bad: the contract tests and the bench read), and the
// media-mode line gives way to the notice on the video (hidden by CSS, its data-state kept the same way).

import {
  FULL_PICTURE,
  FullPictureGate,
  LADDER,
  Ladder,
  QUALITY,
  SAMPLE_MS,
  STEPS,
  applyStep,
  lowest,
  sampleStats,
} from "./ladder.js";
import { SEND } from "./events.js";
import { t } from "./i18n.js";
import { request } from "./net.js";
import { QualitySummary } from "./quality.js";

/** Samples between two `call.quality` reports (about 16 s at 2 s a sample); one more when the call stops. */
const REPORT_EVERY_SAMPLES = 8;

const MODE_TEXT = Object.freeze({
  video: "media.mode.video",
  "low-video": "media.mode.low_video",
  audio: "media.mode.audio",
  chat: "media.mode.chat",
  // the agent chose the step (console: force-low-video, force-audio-only, force-chat), not the link
  "forced:low-video": "media.mode.low_video_forced",
  "forced:audio": "media.mode.audio_forced",
  "forced:chat": "media.mode.chat_forced",
});
const CHECKING_TEXT = "link.quality.checking";
const DOWN_TEXT = "link.quality.down"; // the link is cut (ICE disconnected, or our own socket): 「切れています」
const QUALITY_TEXT = Object.freeze({ good: "link.quality.good", weak: "link.quality.weak", bad: "link.quality.bad" });

export class LinkWatch {
  /**
   * @param {object} options
   * @param {import("./call.js").Call} options.call
   * @param {HTMLElement} options.stage  the video stage (gets data-mode for styling the still)
   * @param {HTMLElement|null} options.modeElement  `media-mode`
   * @param {HTMLElement|null} options.qualityElement  `link-quality`
   * @param {number} [options.sampleMs]
   * @param {boolean} [options.connecting]  the call starts (or resumes) before its media flows
   * @param {Record<string, string>} [options.modeTexts]  this page's own words for some steps (the console's chat
   *   step tells the agent what to offer, where the kiosk's tells the resident what they can ask for)
   */
  constructor({ call, stage, modeElement, qualityElement, sampleMs = SAMPLE_MS, connecting = true, modeTexts = {} }) {
    this.call = call;
    this.modeTexts = { ...MODE_TEXT, ...modeTexts };
    this.stage = stage;
    this.modeElement = modeElement;
    this.qualityElement = qualityElement;
    this.sampleMs = sampleMs;
    this.ladder = new Ladder();
    this.remote = { step: STEPS[0], forced: false };
    this.forced = null; // a step this side forces (the agent's force buttons: low-video, audio, chat), or null
    this.memory = null;
    this.pc = null; // the connection the memory and the applied step belong to
    this.applied = null; // the step last put on this.pc's senders (with ":full" once the picture is full)
    this.fullPicture = false; // this.pc's link showed it carries the camera's full picture (ladder.js startScale)
    this.fullPictureAt = null; // when (ms) the full picture was let out on this.pc (stage data-full-picture)
    this.gate = new FullPictureGate(); // when the link has shown that for long enough (ladder.js FULL_PICTURE)
    this.lookTimer = null; // looks at the estimate between samples, for a while after the media connected
    this.lookMemory = null; // those looks' own getStats memory (the ladder's samples are not touched)
    this.lookUntil = 0;
    this.sentStep = STEPS[0];
    this.announced = null;
    this.timer = null;
    this.busy = false;
    this.history = []; // [{step, at}] each change of the agreed step (for the quality summary and the bench)
    this.last = null; // the last sample
    this.quality = new QualitySummary(); // for the record (call.quality)
    this.unreported = 0; // samples since the last report
    this.connecting = connecting; // the media is not (yet, or no longer) flowing: nothing to say about the link
    this.render();
  }

  start() {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.sampleMs);
  }

  stop() {
    if (this.timer && this.quality.samples) this.report({ final: true });
    clearInterval(this.timer);
    this.stopLooking();
    this.timer = null;
  }

  /**
   * The link's summary so far, to the server for the consultation's record (the latest one counts); `final` when
   * the call stops (the server counts that one in its per-booth histograms, `/metrics`).
   */
  report({ final = false } = {}) {
    this.unreported = 0;
    const payload = { consultation_id: this.call.consultationId, ...this.quality.summary(Date.now()), final };
    request(this.call.socket, SEND.CALL_QUALITY, payload).catch((err) =>
      console.warn("linkwatch: quality not recorded", err.code || err),
    );
  }

  /** Our own proposal, limited by what this side forces: what the other side is told. */
  get proposal() {
    return this.forced ? lowest(this.ladder.step, this.forced) : this.ladder.step;
  }

  /** The step the call runs at, the same on both sides once both have heard from each other. */
  get agreed() {
    return lowest(this.proposal, this.remote.step);
  }

  /** The lower of both sides' links alone (what a forced step hides). */
  get linkStep() {
    return lowest(this.ladder.step, this.remote.forced ? STEPS[0] : this.remote.step);
  }

  /** The agreed step is lower because someone forced it, not because of the link. */
  get isForced() {
    return this.agreed !== this.linkStep;
  }

  /** The agent forces a step ("low-video", "audio" or "chat"), or releases it (null). */
  force(step) {
    this.forced = step;
    this.update();
  }

  /** The other side's `signal` {mode, forced}. */
  receive(mode, forced) {
    if (!STEPS.includes(mode)) return;
    this.remote = { step: mode, forced: Boolean(forced) };
    this.update();
  }

  /** The media is (re)connecting or the other side is gone (true), or flowing again (false). */
  setConnecting(connecting) {
    if (this.connecting === Boolean(connecting)) return;
    this.connecting = Boolean(connecting);
    this.render();
  }

  /** The link is cut (true: ICE says disconnected or failed, or this side's socket is offline), or no longer
   * (false). ux15 item 1: the booth's pill said 「よい」 for seconds after its network went away. */
  setDown(down) {
    if (this.down === Boolean(down)) return;
    this.down = Boolean(down);
    this.render();
  }

  /** The connection (re)connected: tell the other side where we are, whatever it heard before. */
  connected() {
    this.announced = null;
    this.update();
    // Chromium probes the link within its first second: look every FULL_PICTURE.lookMs for a while, so a link that
    // carries the full picture shows it within about a second instead of after three 2 s samples.
    this.stopLooking();
    this.lookMemory = null;
    this.lookUntil = Date.now() + FULL_PICTURE.lookForMs;
    this.lookTimer = setInterval(() => this.lookForFullPicture(), FULL_PICTURE.lookMs);
  }

  stopLooking() {
    clearInterval(this.lookTimer);
    this.lookTimer = null;
  }

  /** One look at the estimate between samples, with its own memory (the ladder's samples are not touched). */
  async lookForFullPicture() {
    const pc = this.call.pc;
    if (this.fullPicture || Date.now() > this.lookUntil) return this.stopLooking();
    if (this.busy || !this.timer || !pc || pc !== this.pc || pc.connectionState !== "connected") return;
    try {
      const first = this.lookMemory === null;
      const [sample, memory] = sampleStats(await pc.getStats(), this.lookMemory);
      if (pc !== this.pc) return;
      this.lookMemory = memory;
      if (!first) this.considerFullPicture(sample, Date.now()); // the first look has no loss or queue to judge
    } catch (err) {
      console.warn("linkwatch: no look at the estimate", err);
    }
  }

  /**
   * A sample towards the full picture: it counts only while the call sends the video step and our ladder saw no bad
   * sample since (a link already losing or queueing is not given more to carry). Lets it out once the gate opens.
   */
  considerFullPicture(sample, now) {
    if (this.fullPicture) return;
    const sendingVideo = this.agreed === STEPS[0] && this.sentStep === STEPS[0] && this.ladder.bad === 0;
    if (this.gate.observe(sendingVideo ? sample : { aob: null }, now)) {
      this.letFullPicture();
      this.update();
    }
  }

  /**
   * The call started at 640x360 (call.js, ladder.js startSmall); the estimate says the link carries more: the video
   * step sends the camera's full picture from now on (the encoder still scales down by itself should the link turn
   * out to carry less, and the ladder keeps watching).
   */
  letFullPicture() {
    this.fullPicture = true;
    this.fullPictureAt = Date.now();
    this.stage.dataset.fullPicture = String(this.fullPictureAt);
  }

  async tick() {
    const pc = this.call.pc;
    if (this.busy || !pc || this.call.closed || pc.connectionState !== "connected") return;
    this.busy = true;
    try {
      if (pc !== this.pc) this.apply(this.agreed); // adopt the rebuilt connection (apply() resets what was its own)
      const report = await pc.getStats();
      if (pc !== this.call.pc) return;
      const first = this.memory === null;
      const [sample, memory] = sampleStats(report, this.memory);
      this.memory = memory;
      this.last = sample;
      if (!first) {
        this.quality.add(sample);
        this.unreported += 1;
        if (this.unreported >= REPORT_EVERY_SAMPLES) this.report();
        const before = this.ladder.step;
        this.ladder.observe(sample, this.sentStep);
        if (this.ladder.step !== before && this.modeElement) {
          // Why our own step moved, for support staff and the bench: "aob loss queue freeze", or "up".
          const down = STEPS.indexOf(this.ladder.step) > STEPS.indexOf(before);
          this.modeElement.dataset.reason = down ? this.ladder.reason.join(" ") : "up";
        }
        this.considerFullPicture(sample, Date.now());
      }
      this.update();
    } catch (err) {
      console.warn("linkwatch: no sample", err);
    } finally {
      this.busy = false;
    }
  }

  /** Tell, apply and show whatever changed. */
  update() {
    const proposal = this.proposal;
    const forced = proposal !== this.ladder.step;
    const word = `${proposal}:${forced}`;
    if (this.announced !== word && this.call.pc) {
      this.announced = word;
      this.call.send({ mode: proposal, forced });
    }
    const agreed = this.agreed;
    if (this.fullPicture && this.linkStep !== STEPS[0]) {
      // The link could not hold the video step: back at it, the picture starts at 640x360 again and the link must
      // show once more, for a while, that it carries the full one (a step forced by the agent keeps it).
      this.fullPicture = false;
      this.gate.close();
      delete this.stage.dataset.fullPicture;
    }
    if (!this.history.length || this.history[this.history.length - 1].step !== agreed) {
      this.history.push({ step: agreed, at: Date.now() });
      this.quality.step(agreed, Date.now());
    }
    this.apply(agreed);
    this.call.setAudioPacketMs?.(LADDER[agreed].audio.packetMs ?? null);
    this.render();
  }

  apply(step) {
    const pc = this.call.pc;
    if (pc !== this.pc) {
      // A rebuilt connection (resume, the other side reloaded) starts with full senders and no stats of its own.
      this.pc = pc;
      this.memory = null;
      this.applied = null;
      this.fullPicture = false; // a new connection starts small again (call.js) until its link shows more
      this.gate.close();
      this.lookMemory = null;
      delete this.stage.dataset.fullPicture;
    }
    const fullPicture = this.fullPicture;
    const key = fullPicture ? `${step}:full` : step;
    if (!pc || this.applied === key) return;
    const tracks = {};
    for (const track of this.call.localStream?.getTracks() ?? []) tracks[track.kind] = track;
    const target = step;
    applyStep(pc, target, tracks, { fullPicture })
      .then(() => {
        if (pc === this.call.pc) {
          this.applied = key;
          this.sentStep = target;
        }
      })
      .catch((err) => console.warn("linkwatch: could not apply", target, err));
  }

  /** Seconds spent at each step so far (the current one counted up to now). */
  timeInSteps(now = Date.now()) {
    const out = Object.fromEntries(STEPS.map((s) => [s, 0]));
    this.history.forEach((entry, i) => {
      const until = i + 1 < this.history.length ? this.history[i + 1].at : now;
      out[entry.step] += (until - entry.at) / 1000;
    });
    return out;
  }

  render() {
    const agreed = this.agreed;
    const quality = QUALITY[this.linkStep];
    this.stage.dataset.mode = agreed;
    if (this.modeElement) {
      const key = this.modeTexts[agreed !== "video" && this.isForced ? `forced:${agreed}` : agreed];
      this.modeElement.hidden = false;
      this.modeElement.dataset.state = agreed;
      this.modeElement.dataset.forced = String(this.isForced);
      this.modeElement.dataset.connecting = String(this.connecting);
      if (this.modeElement.dataset.i18n !== key) {
        this.modeElement.dataset.i18n = key;
        this.modeElement.textContent = t(key);
      }
    }
    if (this.qualityElement) {
      this.qualityElement.hidden = false;
      this.qualityElement.dataset.state = quality;
      this.qualityElement.dataset.connecting = String(this.connecting);
      this.qualityElement.dataset.down = String(Boolean(this.down));
      const key = this.down ? DOWN_TEXT : this.connecting ? CHECKING_TEXT : QUALITY_TEXT[quality];
      if (this.qualityElement.dataset.i18n !== key) {
        this.qualityElement.dataset.i18n = key;
        this.qualityElement.textContent = t(key);
      }
    }
  }
}
