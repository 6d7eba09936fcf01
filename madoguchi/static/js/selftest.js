// The kiosk's self-test: camera, microphone, speaker and the network path, on start and every few hours while the
// kiosk stands idle. The header's readiness pill says "not ready" when a call cannot work (readiness.js; a finding
// that leaves calls working is not shown to residents, ux13); a long press on it opens the check panel for the
// post-office clerk: the sentence (`self-test-status`, data-state ok|warn|fail),
// what the echo call found (`self-test-details`, 「音が 戻ってきませんでした」, the words the supervisors read) and
// 「もう一度 点検する」 (`check-rerun`). Never anything of a resident; no tooltip (a touch screen never shows one).
//
// Why: a booth whose camera died or whose network lost its TURN path fails the next resident who walks in, and
// on an island nobody from the town hall is there to notice. The network check gathers ICE candidates against
// the booth's own TURN credentials (`selftest.servers`): with TURN configured, a relay candidate must appear
// (the path a closed municipal network allows); without it, any candidate will do.
//
// The same connection then makes a short echo call to the server (`selftest.echo`, an aiortc peer that sends back
// what it gets): a tone (never the room's microphone) and ten pings on an unordered data channel without
// retransmissions. Round trip and loss come from the pings, "audio came back" from the received audio's stats.
// No echo connection is a network failure; 20% lost pings or a round trip over 1.5 s is a network warning; audio
// that does not come back is a warning about the sound (its own check, ux14: the panel's headline blamed the
// network, 1 ms and 0% lost, when the sound was what failed). The result goes to the server (`selftest.report`) for the supervisors' booth list.
//
// verdict(), describe() and echoResult() are pure (tables, no devices); runChecks() touches the devices; SelfTest
// runs them on a timer, renders and reports.

import { SEND } from "./events.js";
import { t } from "./i18n.js";
import { request } from "./net.js";
import { networkOnly } from "./readiness.js";

/** Again after this long while idle (and on every page start). */
export const SELF_TEST_EVERY_MS = 4 * 60 * 60 * 1000;
/** Again after this long while the last run failed on the network alone: the kiosk keeps trying until it works
 * (tidy14: a run while the link was down left 「準備が できていません」 for four hours). */
export const NETWORK_RETRY_MS = 60 * 1000;
/** Gathering that has not finished by then is judged on what it found. */
export const GATHER_MS = 6000;
const LISTEN_MS = 600;
/** The echo call: how long it may take to connect, how many pings and how far apart, how long to wait for them. */
export const ECHO = Object.freeze({ connectMs: 6000, pings: 10, everyMs: 100, waitMs: 1500, audioMs: 3000 });
/** An echo call past these is a warning for the clerk (the call would still work, badly). */
export const ECHO_LIMITS = Object.freeze({ lossPct: 20, rttMs: 1500 });
/** Peak sample level below which the microphone is called silent. */
const SILENCE = 0.002;

/** The checks, in the order the status line names them, and their words. */
export const CHECKS = Object.freeze(["camera", "microphone", "speaker", "sound", "network"]);
const NAME_KEYS = Object.freeze({
  camera: "booth.selftest.camera",
  microphone: "booth.selftest.microphone",
  speaker: "booth.selftest.speaker",
  sound: "booth.selftest.sound",
  network: "booth.selftest.network",
});
const RANK = Object.freeze({ ok: 0, warn: 1, fail: 2 });

/** The worst of the checks' results ("ok", "warn", "fail"; a missing one counts as "fail"). */
export function verdict(results) {
  let worst = "ok";
  for (const check of CHECKS) {
    const result = results[check] in RANK ? results[check] : "fail";
    if (RANK[result] > RANK[worst]) worst = result;
  }
  return worst;
}

/** The i18n key and the names of the checks the line mentions (those at the worst result). */
export function describe(results) {
  const state = verdict(results);
  if (state === "ok") return { state, key: "booth.selftest.ok", items: [] };
  const items = CHECKS.filter((check) => (results[check] in RANK ? results[check] : "fail") === state);
  return { state, key: state === "warn" ? "booth.selftest.warn" : "booth.selftest.fail", items };
}

/** The network check from what gathering found: a relay is required when TURN servers were given. */
export function networkResult({ turn, types }) {
  if (turn) return types.includes("relay") ? "ok" : "fail";
  return types.length ? "ok" : "fail";
}

/**
 * The echo call's verdict on the network: null when there was none to judge (the server runs no echo peer),
 * "fail" when it did not connect, "warn" when the pings were too lost or too slow.
 */
export function echoResult(echo) {
  if (!echo) return null;
  if (!echo.connected) return "fail";
  if (echo.loss_pct === null || echo.loss_pct > ECHO_LIMITS.lossPct) return "warn";
  if (echo.rtt_ms === null || echo.rtt_ms > ECHO_LIMITS.rttMs) return "warn";
  return "ok";
}

/** The echo call's verdict on the sound: "warn" when it connected and its audio did not come back; "ok" when
 * there was no call to judge it by (no echo peer, or a call that did not connect: the network check says that). */
export function soundResult(echo) {
  return echo && echo.connected && !echo.audio ? "warn" : "ok";
}

/** The worse of two results (null: not judged). */
function worse(a, b) {
  if (b === null) return a;
  return RANK[b] > RANK[a] ? b : a;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function openTrack(kind) {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: true });
    return stream.getTracks()[0] || null;
  } catch {
    return null;
  }
}

async function checkCamera() {
  const track = await openTrack("video");
  if (!track) return "fail";
  const live = track.readyState === "live" && (track.getSettings().width || 0) > 0;
  track.stop();
  return live ? "ok" : "fail";
}

async function checkMicrophone() {
  const track = await openTrack("audio");
  if (!track) return "fail";
  let peak = 0;
  try {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    await new Promise((resolve) => setTimeout(resolve, LISTEN_MS));
    const samples = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(samples);
    for (const value of samples) peak = Math.max(peak, Math.abs(value));
    await context.close();
  } catch {
    peak = 0;
  } finally {
    track.stop();
  }
  return peak > SILENCE ? "ok" : "warn"; // silent: a quiet room, or a muted microphone the clerk should look at
}

async function checkSpeaker() {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.some((d) => d.kind === "audiooutput") ? "ok" : "warn";
  } catch {
    return "warn";
  }
}

/** A quiet tone to send on the echo call (the room's microphone never leaves the booth for a test). */
function tone() {
  const context = new AudioContext();
  context.resume().catch(() => {});
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  gain.gain.value = 0.05;
  const destination = context.createMediaStreamDestination();
  oscillator.connect(gain).connect(destination);
  oscillator.start();
  return { track: destination.stream.getAudioTracks()[0], close: () => context.close().catch(() => {}) };
}

function waitFor(check, limitMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const poll = () => {
      if (check()) resolve(true);
      else if (performance.now() - started >= limitMs) resolve(false);
      else setTimeout(poll, 50);
    };
    poll();
  });
}

/**
 * Whether the echoed audio arrives: its RTP packets, counted by the receiver. (Chromium decodes a remote track
 * only for a page element that plays it, so `totalSamplesReceived` stays 0 here; packets are the honest measure.)
 */
async function receivedAudio(pc) {
  const report = await pc.getStats();
  let packets = 0;
  report.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "audio") packets += r.packetsReceived || 0;
  });
  return packets > 0;
}

/** Ping over the open channel: the median round trip of the answers (ms) and the share that never came back (%). */
async function ping(channel) {
  const sent = new Map();
  const rtts = [];
  channel.onmessage = ({ data }) => {
    const at = sent.get(String(data));
    if (at !== undefined) {
      rtts.push(performance.now() - at);
      sent.delete(String(data));
    }
  };
  for (let n = 0; n < ECHO.pings; n += 1) {
    const message = `ping:${n}`;
    sent.set(message, performance.now());
    channel.send(message);
    await sleep(ECHO.everyMs);
  }
  await waitFor(() => rtts.length === ECHO.pings, ECHO.waitMs);
  return {
    rtt_ms: rtts.length ? Math.round(median(rtts)) : null,
    loss_pct: Math.round((100 * (ECHO.pings - rtts.length)) / ECHO.pings),
  };
}

/**
 * Gather against the booth's ICE servers and, when `echo` is given (sdp → the server's answer sdp), make the echo
 * call on the same connection. Resolves to {types, ms, echo: null | {connected, rtt_ms, loss_pct, audio}}.
 */
async function probeNetwork(iceServers, limitMs, echo) {
  const pc = new RTCPeerConnection({ iceServers });
  const types = new Set();
  const started = performance.now();
  let sound = null;
  try {
    const channel = pc.createDataChannel("selftest", { ordered: false, maxRetransmits: 0 });
    if (echo) {
      sound = tone();
      pc.addTrack(sound.track, new MediaStream([sound.track]));
    }
    const gathered = new Promise((resolve) => {
      pc.onicecandidate = ({ candidate }) => {
        if (!candidate) resolve();
        else if (candidate.type) types.add(candidate.type);
      };
      setTimeout(resolve, limitMs);
    });
    await pc.setLocalDescription();
    await gathered;
    const ms = Math.round(performance.now() - started);
    if (!echo) return { types: [...types], ms, echo: null };
    let answer;
    try {
      answer = await echo(pc.localDescription.sdp);
    } catch (err) {
      if (err.code === "unavailable") return { types: [...types], ms, echo: null }; // no echo peer on this server
      throw err;
    }
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
    const open = await waitFor(() => channel.readyState === "open", ECHO.connectMs);
    if (!open) return { types: [...types], ms, echo: { connected: false, rtt_ms: null, loss_pct: null, audio: false } };
    const pinged = await ping(channel);
    let audio = await receivedAudio(pc);
    const until = performance.now() + ECHO.audioMs;
    while (!audio && performance.now() < until) {
      await sleep(250);
      audio = await receivedAudio(pc);
    }
    return { types: [...types], ms, echo: { connected: true, ...pinged, audio } };
  } finally {
    pc.close();
    sound?.close();
  }
}

/**
 * Run every check once; resolves to {camera, microphone, speaker, network, relay, gather_ms, echo}. `echo` (sdp →
 * answer sdp) makes the echo call; without it the network is judged on gathering alone.
 */
export async function runChecks(iceServers, { gatherMs = GATHER_MS, echo = null } = {}) {
  const turn = iceServers.some((s) => [].concat(s.urls).some((url) => /^turns?:/.test(url)));
  const [camera, microphone, speaker, found] = await Promise.all([
    checkCamera(),
    checkMicrophone(),
    checkSpeaker(),
    probeNetwork(iceServers, gatherMs, echo).catch((err) => {
      console.warn("selftest: network probe failed", err.code || err);
      return { types: [], ms: null, echo: echo ? { connected: false, rtt_ms: null, loss_pct: null, audio: false } : null };
    }),
  ]);
  return {
    camera,
    microphone,
    speaker,
    sound: soundResult(found.echo),
    network: worse(networkResult({ turn, types: found.types }), echoResult(found.echo)),
    relay: turn ? found.types.includes("relay") : null,
    gather_ms: found.ms,
    echo: found.echo,
  };
}

/**
 * What the echo call found, as [i18n key, params] lines for the clerk (the supervisors' booth card says the same):
 * the round trip and the loss when it connected, and that the sound did not come back.
 */
export function echoDetails(echo) {
  if (!echo || !echo.connected) return [];
  const lines = [];
  if (echo.rtt_ms !== null && echo.rtt_ms !== undefined) {
    lines.push(["booth.selftest.echo", { rtt: echo.rtt_ms, loss: echo.loss_pct ?? 100 }]);
  }
  if (!echo.audio) lines.push(["booth.selftest.no_audio", {}]);
  return lines;
}

/** What the server keeps for the supervisors' booth list (`selftest.report`). */
export function reportOf(results) {
  const { state, items } = describe(results);
  const echo = results.echo || null;
  return {
    state,
    items,
    relay: results.relay ?? null,
    rtt_ms: echo?.rtt_ms ?? null,
    loss_pct: echo?.loss_pct ?? null,
    audio: echo ? Boolean(echo.audio) : null,
  };
}

export class SelfTest {
  /**
   * @param {object} options
   * @param {any} options.socket  the kiosk's socket (for `selftest.servers`)
   * @param {HTMLElement} options.element  `self-test-status`: the sentence, in the check panel
   * @param {HTMLElement} options.details  `self-test-details`: what the echo call found, a line each
   * @param {HTMLButtonElement} options.rerun  `check-rerun`: the clerk checks again
   * @param {HTMLElement} options.later  said instead of the rerun button during a consultation
   * @param {() => boolean} options.idle  whether the kiosk stands idle (never test during a consultation)
   * @param {(state: string) => void} [options.onResult]  each finished run's verdict ("ok" | "warn" | "fail"), for
   *   the header's readiness line (readiness.js), so that the two never disagree
   */
  constructor({ socket, element, details, rerun, later, idle, onResult = () => {} }) {
    this.socket = socket;
    this.element = element;
    this.details = details;
    this.rerunButton = rerun;
    this.later = later;
    this.idle = idle;
    this.onResult = onResult;
    this.running = false;
    this.lastAt = null;
    this.results = null;
    // while the socket is down the network part would fail for that alone: run once it is back (booth.js)
    this.timer = setInterval(() => this.socket.connected && this.due() && this.run(), 60_000);
    rerun.addEventListener("click", () => this.run());
  }

  /** The rerun button while the kiosk stands idle; during a consultation a line saying when instead. */
  offerRerun() {
    const idle = this.idle();
    this.rerunButton.hidden = !idle;
    this.rerunButton.disabled = this.running;
    this.later.hidden = idle;
  }

  due(now = Date.now()) {
    if (this.lastAt === null) return true;
    return now - this.lastAt >= (this.networkFailed() ? NETWORK_RETRY_MS : SELF_TEST_EVERY_MS);
  }

  /** Whether the last run found only the network not working. */
  networkFailed() {
    if (!this.results) return false;
    const { state, items } = describe(this.results);
    return state === "fail" && networkOnly(items);
  }

  async run() {
    if (this.running || !this.idle()) return;
    this.running = true;
    this.element.dataset.running = "true";
    this.offerRerun();
    this.show({ state: this.element.dataset.state ?? null, key: "booth.selftest.running", items: [] });
    try {
      let servers = null;
      try {
        const ack = await request(this.socket, SEND.SELFTEST_SERVERS, {});
        servers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
      } catch (err) {
        console.warn("selftest: the server did not answer", err.code || err); // the network fails, the rest is tested
      }
      const echo = servers === null ? null : async (sdp) => (await request(this.socket, SEND.SELFTEST_ECHO, { sdp })).sdp;
      const results = await runChecks(servers ?? [], { echo });
      this.results = servers === null ? { ...results, network: "fail", relay: null } : results;
    } catch (err) {
      console.warn("selftest: could not run", err);
      this.results = { camera: "fail", microphone: "fail", speaker: "fail", sound: "fail", network: "fail", relay: null };
    } finally {
      this.running = false;
      this.lastAt = Date.now();
      delete this.element.dataset.running;
      this.offerRerun();
    }
    this.element.dataset.relay = String(this.results.relay);
    const echo = this.results.echo;
    this.element.dataset.echo = echo ? (echo.connected ? (echo.audio ? "audio" : "connected") : "none") : "off";
    this.element.dataset.rttMs = echo?.rtt_ms ?? "";
    this.show(describe(this.results));
    const found = describe(this.results);
    this.onResult(verdict(this.results), found.state === "fail" ? found.items : []);
    request(this.socket, SEND.SELFTEST_REPORT, reportOf(this.results)).catch((err) =>
      console.warn("selftest: result not reported", err.code || err),
    );
  }

  show({ state, key, items }) {
    const element = this.element;
    if (state) element.dataset.state = state;
    element.dataset.key = key; // not data-i18n: relabel() words it again with its items
    element.dataset.items = items.join(" ");
    const names = items.map((item) => t(NAME_KEYS[item])).join("・");
    element.textContent = t(key, { items: names });
    const found = key === "booth.selftest.running" ? [] : echoDetails(this.results?.echo);
    this.details.replaceChildren(
      ...found.map(([line, params]) => {
        const item = document.createElement("li");
        item.textContent = t(line, params);
        return item;
      }),
    );
    this.details.hidden = !found.length;
    this.offerRerun();
  }

  /** Re-render in the page's current language. */
  relabel() {
    if (this.running) this.show({ state: null, key: "booth.selftest.running", items: [] });
    else if (this.results) this.show(describe(this.results));
  }
}
