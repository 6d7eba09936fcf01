// Whether the kiosk can serve a resident, in one place: the header's readiness pill never says "ready" when a call
// cannot work (ux12: 「準備できています」 with a yellow dot while the self-test had found no camera). The connection decides first (a kiosk that cannot reach the
// server is not ready, whatever its camera does); once connected, the last self-test decides, in true plain words:
// ready, or not ready when something the call needs does not work (the network alone: reconnecting, tidy14). A
// finding ("warn", e.g. the sound did not come back) is never called ready (ux14: a green 「準備できています」 stood
// over the clerk's 「音を 確かめてください」) nor shown to residents as a staff diagnostic (ux16): the pill says
// 「役場と つながっています」 with a yellow dot, and the check panel names the part. A long press on the pill
// opens the check's own words for the clerk (booth.js, the check panel). Pure; booth.js renders the result into
// `connection-status` (data-state keeps the socket's state for scripts and tests, data-check the self-test's
// verdict — "warn" included — and data-tone what the resident sees).

const CONNECTION_KEYS = Object.freeze({
  connecting: "booth.conn.connecting",
  offline: "booth.conn.offline",
  unauthorized: "booth.conn.unauthorized",
});
const CHECK_KEYS = Object.freeze({
  ok: "booth.conn.ready",
  // a finding (e.g. the echo call's sound did not come back): not "ready" (ux14), yet no staff diagnostic in the
  // resident's header either (ux16: a yellow 「確認が 必要です」 a resident could do nothing about, and tapping it
  // showed nothing): the pill says the true, neutral 「役場と つながっています」 with the yellow dot as the clerk's
  // cue; the part is named in the clerk's check panel (a long press) and on /supervisor
  warn: "booth.conn.connected",
  fail: "booth.conn.check_fail", // 「準備が できていません」: camera, microphone or the call's path do not work
});

/**
 * @param {string} connection  the socket: "connecting" | "ready" | "offline" | "unauthorized"
 * @param {string|null} check  the last self-test: "ok" | "warn" | "fail", or null before the first one
 * @param {string} [offlineKey]  the key for "offline" (reconnecting or not)
 * @param {string[]} [failed]  what the last self-test found not working (its items at "fail")
 * @returns {{key: string, tone: string, network: boolean}}  the line's i18n key, the dot (ready | checking | warn |
 *   fail), and whether what fails is the link to the office alone (the kiosk says so in plain words and keeps
 *   trying: tidy14, a self-test whose network part failed said 「準備が できていません」 as if the machine were
 *   broken)
 */
export function readiness(connection, check, offlineKey = CONNECTION_KEYS.offline, failed = []) {
  if (connection !== "ready") {
    const key = connection === "offline" ? offlineKey : CONNECTION_KEYS[connection] || CONNECTION_KEYS.connecting;
    return { key, tone: connection === "connecting" ? "checking" : "fail", network: connection === "offline" };
  }
  if (!check) return { key: "booth.conn.ready", tone: "ready", network: false }; // connected; first self-test running
  if (check === "fail" && networkOnly(failed)) return { key: NETWORK_KEY, tone: "fail", network: true };
  const tone = { ok: "ready", warn: "warn" }[check] || "fail";
  return { key: CHECK_KEYS[check] || CHECK_KEYS.fail, tone, network: false };
}

/** The pill's words while the office's link is what fails (the self-test runs again until it works). */
const NETWORK_KEY = "booth.conn.reconnecting";

/** Whether the self-test's failures are the network's alone (camera, microphone and speaker work). */
export function networkOnly(failed) {
  return failed.length > 0 && failed.every((item) => item === "network");
}
