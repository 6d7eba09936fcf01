// Socket helpers shared by the kiosk and the console.
//
// Why: the protocol says every client → server event carries an acknowledgement, and a page must never hang
// on a lost ack or show a raw error code to a resident. request() sends with a timeout and turns both an
// error ack and a timeout into a RequestError; errorText() turns any of them into plain words.

import { cleanPayload } from "./cleantext.js";
import { t } from "./i18n.js";

export const ACK_TIMEOUT_MS = 5000;

/**
 * How long one connection attempt may take (the handshake, then the namespace's answer) before it is dropped and
 * tried again. Socket.IO's own limit is 20 s for the handshake and none at all for the namespace's answer, so a
 * kiosk whose first attempt hung (a handshake lost on the way, a server busy at that moment) sat 20 s or for good
 * with its start button grey (issue #12, CI stop 18). An island link at 300 ms RTT answers within 1-2 s; 8 s still
 * allows two lost SYNs (TCP resends after 1 s and 3 s).
 */
export const CONNECT_TIMEOUT_MS = 8000;

/**
 * This page's limit per connection attempt: the server's `page_connect_timeout_s` setting, which the kiosk and the
 * console put on <body data-connect-timeout-ms>; CONNECT_TIMEOUT_MS when a page does not say.
 */
export function connectTimeoutMs(body = globalThis.document?.body) {
  const ms = Number(body?.dataset?.connectTimeoutMs);
  return Number.isFinite(ms) && ms > 0 ? ms : CONNECT_TIMEOUT_MS;
}

/** Socket.IO options every page's socket shares: websocket first, long polling when websockets are refused. */
export function socketOptions(options = {}) {
  return {
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    timeout: connectTimeoutMs(),
    reconnectionDelayMax: 10000,
    ...options,
  };
}

/**
 * Retry a connection whose handshake went through but whose namespace never answered (Socket.IO waits for that
 * answer for ever): after `timeoutMs` the transport is closed and the client's own reconnection starts over.
 */
export function watchConnect(socket, timeoutMs = connectTimeoutMs()) {
  let timer = null;
  const clear = () => {
    clearTimeout(timer);
    timer = null;
  };
  socket.io.on("open", () => {
    clear();
    timer = setTimeout(() => {
      timer = null;
      if (socket.connected || !socket.active) return;
      console.warn(`socket ${socket.nsp}: no answer within ${timeoutMs} ms of the handshake; trying again`);
      socket.io.engine?.close();
    }, timeoutMs);
  });
  socket.on("connect", clear);
  socket.on("connect_error", clear);
  return socket;
}

export class RequestError extends Error {
  constructor(code, message, details = null) {
    super(message || code);
    this.name = "RequestError";
    this.code = code;
    this.details = details; // what the server said beside the code (a booking of another day: its start)
  }
}

/** Emit with an ack and a timeout; resolve with the ack on success, reject with a RequestError otherwise. */
export async function request(socket, event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  if (!socket.connected) throw new RequestError("offline", "not connected");
  let ack;
  try {
    ack = await socket.timeout(timeoutMs).emitWithAck(event, cleanPayload(payload));
  } catch {
    throw new RequestError("timeout", `${event}: no acknowledgement within ${timeoutMs} ms`);
  }
  if (ack && ack.error) throw new RequestError(ack.error.code || "unknown", ack.error.message, ack.error.details ?? null);
  if (!ack || ack.ok !== true) throw new RequestError("unknown", `${event}: unexpected acknowledgement`);
  return ack;
}

const KNOWN_CODES = new Set([
  "busy",
  "source_limit",
  "invalid_payload",
  "not_found",
  "forbidden",
  "invalid_state",
  "rate_limited",
  "unavailable",
  "payload_too_large",
  "limit_reached",
  "internal",
  "timeout",
  "offline",
  "unauthorized",
]);

/** Plain words for any error (never the raw code). */
export function errorText(err) {
  const code = err && err.code;
  if (code === "personal_number") return t("privacy.personal_number"); // the forms' and the chat's one sentence
  return t(KNOWN_CODES.has(code) ? `error.${code}` : "error.unknown");
}

/** A random id usable as a chat idempotency key (works outside secure contexts too). */
export function newClientId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Seconds since the epoch, the protocol's time unit. */
export function nowSeconds() {
  return Date.now() / 1000;
}
