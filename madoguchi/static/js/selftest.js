// The kiosk's self-test: camera, microphone, speaker and the network path, shown to the post-office clerk as one
// plain line on the idle screen (`self-test-status`, data-state ok|warn|fail), on start and every few hours while
// the kiosk stands idle; the clerk taps the line to run it again. Never anything of a resident.
//
// Why: a booth whose camera died or whose network lost its TURN path fails the next resident who walks in, and
// on an island nobody from the town hall is there to notice. The network check gathers ICE candidates against
// the booth's own TURN credentials (`selftest.servers`): with TURN configured, a relay candidate must appear
// (the path a closed municipal network allows); without it, any candidate will do.
//
// verdict() and describe() are pure (tables, no devices); runChecks() touches the devices; SelfTest runs them on
// a timer and renders.

import { SEND } from "./events.js";
import { t } from "./i18n.js";
import { request } from "./net.js";

/** Again after this long while idle (and on every page start). */
export const SELF_TEST_EVERY_MS = 4 * 60 * 60 * 1000;
/** Gathering that has not finished by then is judged on what it found. */
export const GATHER_MS = 6000;
const LISTEN_MS = 600;
/** Peak sample level below which the microphone is called silent. */
const SILENCE = 0.002;

/** The checks, in the order the status line names them, and their words. */
export const CHECKS = Object.freeze(["camera", "microphone", "speaker", "network"]);
const NAME_KEYS = Object.freeze({
  camera: "booth.selftest.camera",
  microphone: "booth.selftest.microphone",
  speaker: "booth.selftest.speaker",
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

async function gather(iceServers, limitMs) {
  const pc = new RTCPeerConnection({ iceServers });
  const types = new Set();
  const started = performance.now();
  try {
    pc.createDataChannel("selftest");
    const done = new Promise((resolve) => {
      pc.onicecandidate = ({ candidate }) => {
        if (!candidate) resolve();
        else if (candidate.type) types.add(candidate.type);
      };
      setTimeout(resolve, limitMs);
    });
    await pc.setLocalDescription();
    await done;
  } finally {
    pc.close();
  }
  return { types: [...types], ms: Math.round(performance.now() - started) };
}

/** Run every check once; resolves to {camera, microphone, speaker, network, relay, gather_ms}. */
export async function runChecks(iceServers, { gatherMs = GATHER_MS } = {}) {
  const turn = iceServers.some((s) => [].concat(s.urls).some((url) => /^turns?:/.test(url)));
  const [camera, microphone, speaker, found] = await Promise.all([
    checkCamera(),
    checkMicrophone(),
    checkSpeaker(),
    gather(iceServers, gatherMs).catch(() => ({ types: [], ms: null })),
  ]);
  return {
    camera,
    microphone,
    speaker,
    network: networkResult({ turn, types: found.types }),
    relay: turn ? found.types.includes("relay") : null,
    gather_ms: found.ms,
  };
}

export class SelfTest {
  /**
   * @param {object} options
   * @param {any} options.socket  the kiosk's socket (for `selftest.servers`)
   * @param {HTMLButtonElement} options.element  `self-test-status`
   * @param {() => boolean} options.idle  whether the kiosk stands idle (never test during a consultation)
   */
  constructor({ socket, element, idle }) {
    this.socket = socket;
    this.element = element;
    this.idle = idle;
    this.running = false;
    this.lastAt = null;
    this.results = null;
    this.timer = setInterval(() => this.due() && this.run(), 60_000);
    element.addEventListener("click", () => this.run());
  }

  due(now = Date.now()) {
    return this.lastAt === null || now - this.lastAt >= SELF_TEST_EVERY_MS;
  }

  async run() {
    if (this.running || !this.idle()) return;
    this.running = true;
    this.element.dataset.running = "true";
    this.show({ state: this.element.dataset.state ?? null, key: "booth.selftest.running", items: [] });
    try {
      let servers = null;
      try {
        const ack = await request(this.socket, SEND.SELFTEST_SERVERS, {});
        servers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
      } catch (err) {
        console.warn("selftest: the server did not answer", err.code || err); // the network fails, the rest is tested
      }
      const results = await runChecks(servers ?? []);
      this.results = servers === null ? { ...results, network: "fail", relay: null } : results;
    } catch (err) {
      console.warn("selftest: could not run", err);
      this.results = { camera: "fail", microphone: "fail", speaker: "fail", network: "fail", relay: null };
    } finally {
      this.running = false;
      this.lastAt = Date.now();
      delete this.element.dataset.running;
    }
    this.element.dataset.relay = String(this.results.relay);
    this.show(describe(this.results));
  }

  show({ state, key, items }) {
    const element = this.element;
    element.hidden = false;
    if (state) element.dataset.state = state;
    element.dataset.i18n = key;
    element.dataset.items = items.join(" ");
    const names = items.map((item) => t(NAME_KEYS[item])).join("・");
    element.textContent = t(key, { items: names });
  }

  /** Re-render in the page's current language. */
  relabel() {
    if (this.results && !this.running) this.show(describe(this.results));
  }
}
