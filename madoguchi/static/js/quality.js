// The call's link quality in a few numbers, for the consultation's record: how the link was (RTT, loss, jitter),
// how often the video froze, and how long the call spent at each ladder step.
//
// Why so small: the town wants to see which booths have bad links, not a trace of every call. Each side adds
// the ladder's samples (linkwatch.js, every ~2 s) and sends the whole summary now and then and at the end
// (`call.quality`, one frozen model on the server); the server keeps the latest per side with the record.
// Pure: no clock (times are passed in), no WebRTC.

import { STEPS, lowest } from "./ladder.js";

/** Samples kept for the medians: a long call keeps its last this many (about 17 minutes at 2 s). */
export const MAX_KEPT = 512;

function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (value, digits = 0) => (value === null ? null : Number(value.toFixed(digits)));

export class QualitySummary {
  constructor() {
    this.samples = 0;
    this.rtts = []; // ms
    this.losses = []; // fraction
    this.jitters = []; // ms
    this.rttMin = null;
    this.rttMax = null;
    this.lossMax = null;
    this.freezes = 0;
    this.concealed = 0; // audio samples concealed over the call
    this.audioSamples = 0; // audio samples received over the call
    this.worst = STEPS[0];
    this.seconds = Object.fromEntries(STEPS.map((s) => [s, 0]));
    this.stepSince = null; // [step, at ms]
  }

  /** One ladder sample (sampleStats' shape; jitter in s when known). */
  add(sample) {
    this.samples += 1;
    const keep = (list, value) => {
      list.push(value);
      if (list.length > MAX_KEPT) list.shift();
    };
    if (typeof sample.rtt === "number") {
      const ms = sample.rtt * 1000;
      keep(this.rtts, ms);
      this.rttMin = this.rttMin === null ? ms : Math.min(this.rttMin, ms);
      this.rttMax = this.rttMax === null ? ms : Math.max(this.rttMax, ms);
    }
    if (typeof sample.loss === "number") {
      keep(this.losses, sample.loss);
      this.lossMax = this.lossMax === null ? sample.loss : Math.max(this.lossMax, sample.loss);
    }
    if (typeof sample.jitter === "number") keep(this.jitters, sample.jitter * 1000);
    this.freezes += Math.max(0, sample.freezes || 0);
    this.concealed += Math.max(0, sample.concealed || 0);
    this.audioSamples += Math.max(0, sample.audioSamples || 0);
  }

  /** The call's agreed step from `at` (ms) on. */
  step(step, at) {
    if (this.stepSince) this.seconds[this.stepSince[0]] += Math.max(0, at - this.stepSince[1]) / 1000;
    this.stepSince = [step, at];
    this.worst = lowest(this.worst, step);
  }

  /** The summary up to `now` (ms): what `call.quality` carries besides the consultation id. */
  summary(now) {
    const seconds = { ...this.seconds };
    if (this.stepSince) seconds[this.stepSince[0]] += Math.max(0, now - this.stepSince[1]) / 1000;
    return {
      samples: this.samples,
      rtt_ms: { min: round(this.rttMin), median: round(median(this.rtts)), max: round(this.rttMax) },
      loss_pct: {
        median: round(median(this.losses) === null ? null : median(this.losses) * 100, 1),
        max: round(this.lossMax === null ? null : this.lossMax * 100, 1),
      },
      jitter_ms: { median: round(median(this.jitters)) },
      freezes: this.freezes,
      // concealedSamples / totalSamplesReceived of the audio we received over the whole call, in %
      concealment_pct: this.audioSamples > 0 ? round(Math.min(1, this.concealed / this.audioSamples) * 100, 1) : null,
      worst_step: this.worst,
      seconds: {
        video: round(seconds.video, 1),
        low_video: round(seconds["low-video"], 1),
        audio: round(seconds.audio, 1),
        chat: round(seconds.chat, 1),
      },
    };
  }
}
