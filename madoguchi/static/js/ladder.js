// The step-down ladder: what a call sends when its link is weak, and when it may send more again.
//
// Why: on a satellite or mobile link a call that keeps sending full video freezes, and a resident who sees a
// frozen face walks away. A voice that keeps going, or at worst a chat, keeps them. Each side watches its own
// getStats() every ~2 s (available outgoing bitrate, loss, queueing delay, freezes) and proposes a step; the call
// runs at the lower of the two sides' proposals and any step the agent forced, so both screens always say the
// same thing. The two sides tell each other their proposal with a small `signal` payload ({mode, forced}).
//
// The decision part (LADDER, judge(), Ladder.observe()) is pure: a table of steps and thresholds with hysteresis
// (two bad samples step down, three clean ones step up, more after an attempt up that failed), no timers and no
// WebRTC, so a test runs it sample by sample. sampleStats() turns two getStats() readings into one sample, and
// applyStep() puts a step on the RTCRtpSenders.
//
// Why "queueing delay" and not RTT: a satellite link has 600 ms RTT and is fine; what says "too much" is the RTT
// growing above the lowest seen on this connection (a queue filling up). And why stepping up does not wait for
// the available bitrate to grow: a sender that sends little is application-limited, and the estimate then stays
// near what it sends. So a step up is an attempt after enough clean samples; if it fails soon, the next attempt
// waits twice as long (at most MAX_UP_SAMPLES).

/** The steps, best first. `data-state` of `media-mode` is the name. */
export const STEPS = Object.freeze(["video", "low-video", "audio", "chat"]);

/**
 * Per step: what the senders do, and when the step no longer holds (any one limit crossed is a bad sample).
 * aob: available outgoing bitrate (bit/s) below which video cannot be sent at this step (only while sending video);
 * loss: fraction of packets lost either way; queue: seconds of RTT above the lowest seen; freezes: this many
 * freezes of the video we receive within one sample (one now and then is what a lossy hop does to any video). Encoding values go to RTCRtpSender.setParameters (null: the browser's default);
 * `packetMs` is the voice packet time asked of the other side (a renegotiation, sdp.js; null: 20 ms).
 * The loss limits are high on purpose: random loss of 5-10% (a lossy radio hop) is repaired by retransmission and
 * concealment, and sending less does not make it go away; congestion shows first in the queue and the estimate.
 */
export const LADDER = Object.freeze({
  video: {
    video: { send: true, maxBitrate: null, scaleResolutionDownBy: 1, maxFramerate: null },
    audio: { send: true, maxBitrate: null, packetMs: null },
    hold: { aob: 150_000, loss: 0.15, queue: 0.4, freezes: 2 },
  },
  "low-video": {
    video: { send: true, maxBitrate: 60_000, scaleResolutionDownBy: 4, maxFramerate: 10 },
    audio: { send: true, maxBitrate: null, packetMs: null },
    hold: { aob: 60_000, loss: 0.2, queue: 0.6, freezes: 2 },
  },
  audio: {
    video: { send: false },
    // 60 ms voice packets (sdp.js): at 20 ms the headers alone cost about 26 kbit/s each way
    audio: { send: true, maxBitrate: 12_000, packetMs: 60 },
    hold: { aob: null, loss: 0.3, queue: 1.0, freezes: null },
  },
  chat: {
    video: { send: false },
    audio: { send: false, packetMs: 60 },
    hold: null, // the last step: nothing to fall to
  },
});

/**
 * A sample is clean (counts towards a step up) at or below these: half the video step's loss limit (a lossy radio
 * hop with 5% random loss must not keep a call at a low step for good) and a short queue.
 */
export const CLEAN = Object.freeze({ loss: 0.075, queue: 0.15 });
export const DOWN_SAMPLES = 2;
export const UP_SAMPLES = 3;
export const MAX_UP_SAMPLES = 24;
/**
 * Samples after a step change that are not judged: the queue built at the old step takes a moment to drain, and
 * without this a call falling from video lands in chat on the backlog alone (seen at 48 kbit/s).
 */
export const SETTLE_SAMPLES = 1;
/**
 * Longer after a step down into voice: the video stops only once the renegotiation that makes it inactive has
 * crossed the starved link both ways, and the queue drains after that (about 6 s at 48 kbit/s). Judged sooner,
 * the voice step fell on to chat on the video's backlog and stayed there for ~14 s.
 */
export const SETTLE_INTO = Object.freeze({ audio: 3 });
/** A step down within this many samples of a step up means the attempt failed: wait longer next time. */
export const FAILED_UP_WITHIN = 5;
export const SAMPLE_MS = 2000;
/** Loss over fewer packets than this (either way, per sample) is noise, not a measurement. */
export const MIN_LOSS_PACKETS = 40;

/**
 * A call's first video frames go out at most this many lines (the camera's shorter side scaled down by the sender,
 * `startScale`), and the full picture follows once the link shows for a while that it can carry it (`FullPictureGate`).
 * Why: Chromium's encoder starts at its 300 kbit/s start bitrate, and a 1280x720 first frame is more than that
 * allows: it drops the first frames and asks the camera for less, step by step (measured: the first remote frame
 * ~130 ms later than at 640x360, on loopback, and the picture then stays 320x180 for ~6 s and reaches 960x540
 * only after ~14 s). Started at 640x360 the first frame goes at once, and lifted to full once the estimate allows,
 * the picture is 1280x720 within a second of the lift.
 */
export const START_LINES = 360;
/** `scaleResolutionDownBy` for a call's first frames from a camera of `width`x`height` (1: already small). */
export function startScale(width, height) {
  const lines = Math.min(width || 0, height || 0);
  return lines > START_LINES ? lines / START_LINES : 1;
}

/** What the camera's full 1280x720 picture at 20 fps needs (bit/s), about: VP8 sends it readably from ~1 Mbit/s. */
export const FULL_PICTURE_NEED = 1_000_000;
/**
 * When the full picture is let out: the estimate at least `headroom` times the need (1.5 Mbit/s) in `samples` looks in
 * a row spanning at least `spanMs`, each look neither losing nor queueing (the ladder's CLEAN limits).
 * Why sustained: at a 512 kbit/s cap (tbf, 4 KiB burst) Chromium's first probes reported ~1 Mbit/s for a moment;
 * one such look (session 8's rule) let out 1280x720 on a link that cannot carry it, the queue filled and the call
 * fell to small video after 10-12 s (bench/links, session 9). On loopback the estimate is 1.5 Mbit/s or more from
 * its first seconds (bench/links, session 10: 1 Mbit/s held over a second still let the 512 kbit/s link's sender out,
 * at 1.5 Mbit/s it stayed at 640x360).
 * `lookMs`: how often the estimate is looked at in the first `lookForMs` after the media connected (after that,
 * only the ladder's 2 s samples count).
 */
export const FULL_PICTURE = Object.freeze({ headroom: 1.5, samples: 3, spanMs: 1000, lookMs: 500, lookForMs: 12_000 });

/**
 * A sample says the link can carry the camera's full picture, with headroom, and is neither losing nor queueing.
 * (Freezes of the video we receive are not counted here: under CPU load they come from the decoder, not the link.)
 */
export function fullPictureFits(sample) {
  const over = (value, limit) => typeof value === "number" && value > limit;
  return (
    typeof sample.aob === "number" &&
    sample.aob >= FULL_PICTURE_NEED * FULL_PICTURE.headroom &&
    !over(sample.loss, CLEAN.loss) &&
    !over(sample.queue, CLEAN.queue)
  );
}

/**
 * Whether the video step may send the camera's full picture, moved by samples with their time. Pure: the clock is
 * passed in (`now`, ms). Any sample that does not fit starts the count again; once open it stays open until
 * `close()` (the call left the video step, or the connection was rebuilt).
 */
export class FullPictureGate {
  constructor() {
    this.open = false;
    this.run = 0; // fitting samples in a row
    this.since = null; // when the first of them was taken
  }

  /** One sample taken at `now`; returns whether the full picture may go out. */
  observe(sample, now) {
    if (this.open) return true;
    if (!fullPictureFits(sample)) {
      this.run = 0;
      this.since = null;
      return false;
    }
    this.run += 1;
    if (this.since === null) this.since = now;
    this.open = this.run >= FULL_PICTURE.samples && now - this.since >= FULL_PICTURE.spanMs;
    return this.open;
  }

  close() {
    this.open = false;
    this.run = 0;
    this.since = null;
  }
}

/**
 * Put the start scale on a video sender before its first frame (right after addTrack, before any description): the
 * encoder is configured from these parameters when the call's media starts. Resolves false when the browser has no
 * encodings to set yet (then the first frames go at the camera's size, as before).
 */
export async function startSmall(sender, track) {
  const { width, height } = track.getSettings?.() ?? {};
  const scale = startScale(width, height);
  const params = sender.getParameters();
  if (scale <= 1 || !params.encodings?.length) return false;
  params.encodings = params.encodings.map((encoding) => ({ ...encoding, scaleResolutionDownBy: scale }));
  await sender.setParameters(params);
  return true;
}

/** How the link looks from a step the ladder settled on: the `link-quality` indicator. */
export const QUALITY = Object.freeze({ video: "good", "low-video": "weak", audio: "bad", chat: "bad" });

export function stepIndex(step) {
  const index = STEPS.indexOf(step);
  if (index < 0) throw new Error(`unknown step ${step}`);
  return index;
}

/** The lower (worse) of some steps; unknown or missing ones are ignored. */
export function lowest(...steps) {
  const known = steps.filter((s) => STEPS.includes(s));
  return known.length ? STEPS[Math.max(...known.map(stepIndex))] : STEPS[0];
}

/**
 * The limits of `step` that a sample crosses: "aob", "loss", "queue", "freeze" (empty: the step holds). Missing
 * numbers (null) never count against a step.
 * @param {string} step the step the call is at
 * @param {{aob: number|null, loss: number|null, queue: number|null, freezes: number}} sample
 */
export function crossed(step, sample) {
  const hold = LADDER[step].hold;
  if (!hold) return [];
  const over = (value, limit) => value !== null && value !== undefined && limit !== null && value > limit;
  const out = [];
  if (LADDER[step].video.send && hold.aob !== null && sample.aob !== null && sample.aob < hold.aob) out.push("aob");
  if (over(sample.loss, hold.loss)) out.push("loss");
  if (over(sample.queue, hold.queue)) out.push("queue");
  if (hold.freezes !== null && sample.freezes >= hold.freezes) out.push("freeze");
  return out;
}

/**
 * One sample against the step being sent: "bad" (a limit of that step crossed), "clean" (good enough to try
 * the next step up) or "ok".
 */
export function judge(step, sample) {
  if (crossed(step, sample).length) return "bad";
  const over = (value, limit) => value !== null && value !== undefined && value > limit;
  const clean = !over(sample.loss, CLEAN.loss) && !over(sample.queue, CLEAN.queue) && !(sample.freezes > 0);
  return clean ? "clean" : "ok";
}

/** One side's proposal, moved by samples. Pure: no clock, no WebRTC. */
export class Ladder {
  constructor() {
    this.step = STEPS[0];
    this.bad = 0;
    this.clean = 0;
    this.upNeeded = UP_SAMPLES;
    this.sinceUp = null; // samples since the last step up (null: none yet)
    this.reason = []; // the limits crossed by the sample that made the last step down
    this.settling = 0; // samples left that are not judged after a step change
  }

  /**
   * A sample taken while the call was at `sentStep` (what the senders did, which may be lower than our own
   * proposal when the other side or the agent asked for less). Returns our new proposal.
   */
  observe(sample, sentStep = this.step) {
    const judged = lowest(sentStep, this.step);
    const verdict = judge(judged, sample);
    if (this.sinceUp !== null) this.sinceUp += 1;
    if (this.settling > 0) {
      this.settling -= 1;
      return this.step;
    }
    if (verdict === "bad") {
      this.clean = 0;
      this.bad += 1;
      if (this.bad >= DOWN_SAMPLES && this.step !== STEPS[STEPS.length - 1]) {
        if (this.sinceUp !== null && this.sinceUp <= FAILED_UP_WITHIN) {
          this.upNeeded = Math.min(this.upNeeded * 2, MAX_UP_SAMPLES);
        }
        this.step = STEPS[stepIndex(this.step) + 1];
        this.reason = crossed(judged, sample);
        this.bad = 0;
        this.settling = SETTLE_INTO[this.step] ?? SETTLE_SAMPLES;
        this.sinceUp = null;
      }
    } else if (verdict === "clean" && stepIndex(sentStep) <= stepIndex(this.step)) {
      // Only a sample of what we proposed ourselves says our step could go up; while the other side holds the
      // call lower, our clean samples tell nothing about our own step.
      this.bad = 0;
      this.clean += 1;
      if (this.clean >= this.upNeeded && this.step !== STEPS[0]) {
        this.step = STEPS[stepIndex(this.step) - 1];
        this.clean = 0;
        this.settling = SETTLE_SAMPLES;
        this.sinceUp = 0;
      }
    } else {
      this.bad = 0;
      this.clean = 0;
    }
    return this.step;
  }
}

/**
 * One sample from two getStats() readings of the same connection (`previous` may be null: the first reading).
 * Returns [sample, memory]; pass memory back as `previous` with the next report.
 */
export function sampleStats(report, previous) {
  const all = new Map();
  report.forEach((r) => all.set(r.id, r));
  let pair = null;
  for (const r of all.values()) {
    if (r.type === "transport" && r.selectedCandidatePairId) pair = all.get(r.selectedCandidatePairId) || pair;
  }
  if (!pair) {
    for (const r of all.values()) if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded") pair = r;
  }
  const memory = {
    minRtt: previous?.minRtt ?? null,
    lost: 0,
    received: 0,
    sent: 0,
    remoteLost: 0,
    freezes: 0,
    bytesSent: 0,
    bytesReceived: 0,
    at: null,
    width: null,
    height: null,
    fps: null,
    jitter: null,
    concealed: 0, // audio samples the decoder had to make up (concealedSamples)
    audioSamples: 0, // audio samples received (totalSamplesReceived)
  };
  // Only RTTs measured since the last reading count: a sender that stopped (video at the voice step) keeps its
  // last remote-inbound RTT for good, and at 48 kbit/s that stale value (from the queue that made the call step
  // down) sent the voice step on to chat. Counts missing from a browser's stats: taken as fresh.
  memory.rttCounts = {};
  const fresh = (id, count) => {
    if (typeof count !== "number") return true;
    memory.rttCounts[id] = count;
    const before = previous?.rttCounts?.[id];
    return before === undefined || count > before;
  };
  const rtts = [];
  if (pair && typeof pair.currentRoundTripTime === "number" && fresh(`pair:${pair.id}`, pair.responsesReceived)) {
    rtts.push(pair.currentRoundTripTime);
  }
  for (const r of all.values()) {
    if (r.type === "inbound-rtp") {
      memory.lost += r.packetsLost || 0;
      memory.received += r.packetsReceived || 0;
      memory.bytesReceived += r.bytesReceived || 0;
      if (r.kind === "audio" && typeof r.jitter === "number") memory.jitter = r.jitter;
      if (r.kind === "audio") {
        memory.concealed += r.concealedSamples || 0;
        memory.audioSamples += r.totalSamplesReceived || 0;
      }
      if (r.kind === "video") {
        memory.freezes += r.freezeCount || 0;
        memory.width = r.frameWidth ?? null;
        memory.height = r.frameHeight ?? null;
        memory.fps = r.framesPerSecond ?? null;
      }
      memory.at = r.timestamp;
    } else if (r.type === "outbound-rtp") {
      memory.sent += r.packetsSent || 0;
      memory.bytesSent += r.bytesSent || 0;
      memory.at = memory.at ?? r.timestamp;
    } else if (r.type === "remote-inbound-rtp") {
      memory.remoteLost += r.packetsLost || 0;
      if (typeof r.roundTripTime === "number" && fresh(r.id, r.roundTripTimeMeasurements)) rtts.push(r.roundTripTime);
    }
  }
  const rtt = rtts.length ? Math.max(...rtts) : null;
  if (rtt !== null) memory.minRtt = memory.minRtt === null ? rtt : Math.min(memory.minRtt, rtt);
  const delta = (key) => (previous ? Math.max(0, memory[key] - previous[key]) : 0);
  const lossOf = (lost, got) => (lost + got >= MIN_LOSS_PACKETS ? lost / (lost + got) : null);
  const inLoss = previous ? lossOf(delta("lost"), delta("received")) : null;
  const outLoss = previous ? lossOf(delta("remoteLost"), delta("sent")) : null;
  const losses = [inLoss, outLoss].filter((x) => x !== null);
  const seconds = previous && memory.at && previous.at ? (memory.at - previous.at) / 1000 : 0;
  const sample = {
    aob: pair && typeof pair.availableOutgoingBitrate === "number" ? pair.availableOutgoingBitrate : null,
    rtt,
    queue: rtt !== null && memory.minRtt !== null ? rtt - memory.minRtt : null,
    loss: losses.length ? Math.max(...losses) : null,
    freezes: delta("freezes"),
    sendBitrate: seconds > 0 ? Math.round((8 * delta("bytesSent")) / seconds) : null,
    receiveBitrate: seconds > 0 ? Math.round((8 * delta("bytesReceived")) / seconds) : null,
    width: memory.width,
    height: memory.height,
    jitter: memory.jitter,
    // audio samples made up and received since the last reading (the record's concealment, quality.js)
    concealed: delta("concealed"),
    audioSamples: delta("audioSamples"),
  };
  return [sample, memory];
}

function encodingFor(encoding, wanted) {
  const next = { ...encoding };
  for (const key of ["maxBitrate", "scaleResolutionDownBy", "maxFramerate"]) {
    if (!(key in wanted)) continue;
    if (wanted[key] === null) delete next[key];
    else next[key] = wanted[key];
  }
  return next;
}

/**
 * Put `step` on the connection's senders: the camera or microphone track in or out (replaceTrack, no
 * renegotiation) and the encoding limits. `tracks` are the local tracks by kind. `fullPicture` false: the video
 * step keeps the start scale (a connection whose link has not yet shown it carries more). Resolves when done.
 */
export async function applyStep(pc, step, tracks, { fullPicture = true } = {}) {
  const plan = LADDER[step];
  for (const sender of pc.getSenders()) {
    const kind = sender.track?.kind ?? transceiverKind(pc, sender);
    let want = plan[kind];
    const track = tracks[kind];
    if (!want || !track) continue;
    if (kind === "video" && want.scaleResolutionDownBy === 1 && !fullPicture) {
      // the video step before the link showed it can carry the full picture: the start scale (startSmall)
      const { width, height } = track.getSettings?.() ?? {};
      want = { ...want, scaleResolutionDownBy: startScale(width, height) };
    }
    const nextTrack = want.send ? track : null;
    if (sender.track !== nextTrack) await sender.replaceTrack(nextTrack);
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) continue; // not negotiated yet: the next tick applies it
    // `active: false` as well as no track: the stream stops at once, with what its pacer still held and the
    // retransmissions asked of it. With the track gone alone, a 48 kbit/s link kept carrying about 50 KB of
    // queued video for 10 s after the step to voice, and the voice step fell on to chat on that backlog.
    const before = JSON.stringify(params.encodings);
    params.encodings = params.encodings.map((encoding) =>
      want.send ? { ...encodingFor(encoding, want), active: true } : { ...encoding, active: false },
    );
    if (JSON.stringify(params.encodings) !== before) await sender.setParameters(params);
  }
}

function transceiverKind(pc, sender) {
  const transceiver = pc.getTransceivers().find((t) => t.sender === sender);
  return transceiver?.receiver?.track?.kind ?? null;
}
