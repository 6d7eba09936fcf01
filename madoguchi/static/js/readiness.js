// Whether the kiosk is ready, in one place: the header's connection line and the clerk's self-test line must never
// disagree (「準備できています」 above 「点検: 通信 を 確かめてください」 was both at once). The connection decides
// first (a kiosk that cannot reach the server is not ready, whatever its camera does); once connected, the last
// self-test decides. Pure; booth.js renders the result into `connection-status` (data-state keeps the socket's
// state for scripts and tests, data-check the self-test's, data-tone what the dot shows).

const CONNECTION_KEYS = Object.freeze({
  connecting: "booth.conn.connecting",
  offline: "booth.conn.offline",
  unauthorized: "booth.conn.unauthorized",
});
const CHECK_KEYS = Object.freeze({
  ok: "booth.conn.ready",
  // usable with a finding: the same calm 「準備できています」 (the dot turns yellow). The header is the resident's:
  // no 「点検」 there (a kiosk switching to 「使えます・点検を ご確認ください」 seconds after start worried residents);
  // the finding itself is the clerk's corner dot (`self-test-status`) and the supervisors' booth card.
  warn: "booth.conn.ready",
  fail: "booth.conn.check_fail",
});

/**
 * @param {string} connection  the socket: "connecting" | "ready" | "offline" | "unauthorized"
 * @param {string|null} check  the last self-test: "ok" | "warn" | "fail", or null before the first one
 * @param {string} [offlineKey]  the key for "offline" (reconnecting or not)
 * @returns {{key: string, tone: string}}  the line's i18n key, and the dot: ready | checking | warn | fail
 */
export function readiness(connection, check, offlineKey = CONNECTION_KEYS.offline) {
  if (connection !== "ready") {
    const key = connection === "offline" ? offlineKey : CONNECTION_KEYS[connection] || CONNECTION_KEYS.connecting;
    return { key, tone: connection === "connecting" ? "checking" : "fail" };
  }
  if (!check) return { key: "booth.conn.ready", tone: "ready" }; // connected; the first self-test is running
  return { key: CHECK_KEYS[check] || CHECK_KEYS.fail, tone: check === "ok" ? "ready" : check };
}
