// Whether the kiosk is ready, in one place: the header's readiness pill and the clerk's self-test must never
// disagree (「準備できています」 with a yellow dot while the self-test had found that no sound came back, and the
// supervisors read 「通信を 確かめてください」: ux12). The connection decides first (a kiosk that cannot reach the
// server is not ready, whatever its camera does); once connected, the last self-test decides, in true plain words:
// ready, check needed, not ready. A tap on the pill opens the check's own words (booth.js, the check panel). Pure; booth.js renders the result into `connection-status` (data-state keeps the socket's
// state for scripts and tests, data-check the self-test's, data-tone what the dot shows).

const CONNECTION_KEYS = Object.freeze({
  connecting: "booth.conn.connecting",
  offline: "booth.conn.offline",
  unauthorized: "booth.conn.unauthorized",
});
const CHECK_KEYS = Object.freeze({
  ok: "booth.conn.ready",
  // usable with a finding: 「確認が 必要です」 — not 「準備できています」, which the clerk beside the booth believed
  warn: "booth.conn.check_warn",
  fail: "booth.conn.check_fail", // 「準備が できていません」
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
