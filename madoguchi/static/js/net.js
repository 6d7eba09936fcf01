// Socket helpers shared by the kiosk and the console.
//
// Why: the protocol says every client → server event carries an acknowledgement, and a page must never hang
// on a lost ack or show a raw error code to a resident. request() sends with a timeout and turns both an
// error ack and a timeout into a RequestError; errorText() turns any of them into plain words.

import { t } from "./i18n.js";

export const ACK_TIMEOUT_MS = 5000;

export class RequestError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "RequestError";
    this.code = code;
  }
}

/** Emit with an ack and a timeout; resolve with the ack on success, reject with a RequestError otherwise. */
export async function request(socket, event, payload, timeoutMs = ACK_TIMEOUT_MS) {
  if (!socket.connected) throw new RequestError("offline", "not connected");
  let ack;
  try {
    ack = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    throw new RequestError("timeout", `${event}: no acknowledgement within ${timeoutMs} ms`);
  }
  if (ack && ack.error) throw new RequestError(ack.error.code || "unknown", ack.error.message);
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
