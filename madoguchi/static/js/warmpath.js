// The kiosk's network path, kept warm while a resident waits in line (issue 12, item 8).
//
// Why: on an island the booth's TURN allocation is two round trips over its slow link (with retransmissions on a
// lossy one, measured 0.7-0.9 s at 300 ms RTT / 5% loss), and ICE cannot start before the booth's relay candidate
// exists. Made when the console starts ringing, it needs most of a one-second ring; made while the resident
// waits, it is ready even when an agent answers at once: the call takes this connection over (call.js
// `prepare({premade})`) and its relay candidate is in the offer the booth makes while the call rings (a pool
// serves only an offer: call.js `offersFirst`).
//
// What is warm: only ICE. The connection has no tracks and sends no media; the camera and microphone are still
// opened only when an agent's console rings (the waiting screen says 「まもなく つながります」 then) and closed
// again if the ringing stops, so nothing the resident cannot see is switched on while they wait. Nothing is
// offered or sent to anyone: the TURN server only learns that this booth may soon relay.
//
// The TURN login is the booth's own (`selftest.servers`, `selftest-<booth id>`, the one the self-test uses), not a
// call's: none exists before the call rings. It is short-lived (TURN REST, `MADOGUCHI_TURN_TTL_S`), so the
// warm connection is made again with a fresh login well before it expires (a quarter of its lifetime, at most
// every 10 minutes): an allocation is refreshed with the login it was made with, and a call taken over must keep
// its relay for the call's length.

import { SEND } from "./events.js";
import { request } from "./net.js";

const MAX_REFRESH_MS = 10 * 60_000;
const MIN_REFRESH_MS = 30_000;
const RETRY_MS = 30_000; // after the server did not answer

/**
 * When to make the connection again for servers issued now: a quarter of the shortest TURN login's remaining
 * lifetime (`"<expiry>:<name>"`, TURN REST), within [30 s, 10 min]; 10 min when no login carries an expiry.
 * Exported for the unit check.
 * @param {RTCIceServer[]} servers
 * @param {number} nowMs
 */
export function refreshAfterMs(servers, nowMs) {
  const expiries = servers
    .map((server) => Number.parseInt(String(server.username ?? "").split(":")[0], 10))
    .filter((expiry) => Number.isFinite(expiry) && expiry > 0);
  if (!expiries.length) return MAX_REFRESH_MS;
  const left = Math.min(...expiries) * 1000 - nowMs;
  return Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, left / 4));
}

/** Only a TURN server is worth warming: host candidates are found at once anyway. */
export function hasTurn(servers) {
  return servers.some((server) => server.username && [].concat(server.urls).some((url) => /^turns?:/.test(url)));
}

export class WarmPath {
  /** @param {{socket: any}} options */
  constructor({ socket }) {
    this.socket = socket;
    this.pc = null;
    this.wanted = false;
    this.fetching = false;
    this.timer = null;
    this.retryAt = 0;
  }

  /** Keep the path warm (`true`: a resident waits and no call is being prepared) or let it go (`false`). */
  keep(wanted) {
    this.wanted = wanted;
    if (!wanted) return this.close();
    if (!this.pc && !this.fetching && Date.now() >= this.retryAt) this.warm();
  }

  /** The warm connection for a call to take over (then it is the call's: never closed here), or null. */
  take() {
    const pc = this.pc;
    this.pc = null;
    clearTimeout(this.timer);
    if (!pc || pc.signalingState !== "stable" || pc.connectionState === "closed") return null;
    return pc;
  }

  async warm() {
    this.fetching = true;
    let servers = [];
    try {
      const ack = await request(this.socket, SEND.SELFTEST_SERVERS, {});
      servers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
    } catch (err) {
      console.warn("warmpath: no TURN login from the server", err.code || err);
      this.retryAt = Date.now() + RETRY_MS;
      return;
    } finally {
      this.fetching = false;
    }
    if (!this.wanted || !hasTurn(servers)) return;
    this.close();
    // A candidate pool gathers (allocates TURN) at once, before there is any description to gather for.
    this.pc = new RTCPeerConnection({ iceServers: servers, iceCandidatePoolSize: 1 });
    this.timer = setTimeout(() => (this.wanted ? this.warm() : this.close()), refreshAfterMs(servers, Date.now()));
  }

  close() {
    clearTimeout(this.timer);
    this.pc?.close();
    this.pc = null;
  }
}
