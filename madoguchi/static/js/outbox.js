// Chat lines on their way to the server, kept until the server has acknowledged them.
//
// Why: a Wi-Fi blip or a mobile handover must not lose a line someone typed, and must not store it twice.
// Every line gets a client_id once (the server's idempotency key: a repeat returns the original seq and stores
// nothing new). Lines are sent one at a time, in the order they were typed; a line whose ack did not arrive
// (disconnect or timeout) stays at the head and is sent again with the same client_id when the socket is back.
// A refusal (the consultation ended, the text is invalid) drops the line and is reported; it is never retried.

import { SEND } from "./events.js";
import { request } from "./net.js";

const RETRY_AFTER_TIMEOUT_MS = 1000;
// This many acks in a row that never came on a socket that still calls itself connected means the link is
// dead without anyone having noticed (half-open TCP after a handover): drop the transport so that the client
// reconnects and the state replay fills any gap.
const TIMEOUTS_BEFORE_RECONNECT = 3;
const MAX_ITEMS = 100;
// "unavailable": the database is briefly away; the line is kept here and sent again (the server stores it once)
const RETRYABLE = new Set(["offline", "timeout", "rate_limited", "unavailable"]);

export class Outbox {
  /**
   * @param {object} options
   * @param {any} options.socket  a Socket.IO client socket
   * @param {string} [options.event]
   * @param {(item: object, ack: object) => void} options.onAck  the server has the line (ack.seq)
   * @param {(item: object, err: Error) => void} options.onReject  the server refused it; it is dropped
   * @param {() => void} [options.onChange]  the set of pending lines changed
   * @param {(item: object, err: Error) => void} [options.onDelay]  the server asked to wait; the line is kept
   */
  constructor({ socket, event = SEND.CHAT_SEND, onAck, onReject, onChange, onDelay }) {
    this.socket = socket;
    this.event = event;
    this.onAck = onAck;
    this.onReject = onReject;
    this.onChange = onChange || (() => {});
    this.onDelay = onDelay || (() => {});
    this.items = [];
    this.pumping = false;
    this.timeoutsInARow = 0;
    this.generation = 0; // bumped by clear(): a pump that outlived a clear() stops touching the items
    socket.on("connect", () => this.kick());
  }

  /** Queue a line ({client_id, ...payload}) and start sending; returns the queued item. */
  add(payload, extra = {}) {
    if (this.items.length >= MAX_ITEMS) return null;
    const item = { clientId: payload.client_id, payload, ...extra };
    this.items.push(item);
    this.onChange();
    this.kick();
    return item;
  }

  get pending() {
    return [...this.items];
  }

  /** Send whatever is waiting, if the socket is up (also called on every (re)connect). */
  kick() {
    if (this.pumping || !this.items.length || !this.socket.connected) return;
    this.pumping = true;
    const generation = this.generation;
    this.pump().finally(() => {
      this.pumping = false;
      if (generation !== this.generation) this.kick(); // lines added after a clear() waited for this pump
    });
  }

  async pump() {
    const generation = this.generation;
    while (this.items.length && this.socket.connected && generation === this.generation) {
      const item = this.items[0];
      let ack;
      try {
        ack = await request(this.socket, this.event, item.payload);
      } catch (err) {
        if (generation !== this.generation) return;
        if (!RETRYABLE.has(err.code)) {
          this.drop(item);
          this.onReject(item, err);
          continue;
        }
        if (err.code === "offline") return; // the next "connect" starts again
        if (err.code === "unavailable" || err.code === "rate_limited") this.onDelay(item, err); // say why it waits
        if (err.code === "timeout") this.timeoutsInARow += 1;
        if (this.timeoutsInARow >= TIMEOUTS_BEFORE_RECONNECT) {
          this.timeoutsInARow = 0;
          console.warn("outbox: no acknowledgements for a while; reconnecting");
          this.socket.io?.engine?.close(); // the manager reconnects by itself; "connect" resends
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_TIMEOUT_MS));
        continue;
      }
      if (generation !== this.generation) return;
      this.timeoutsInARow = 0;
      this.drop(item);
      this.onAck(item, ack);
    }
  }

  drop(item) {
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    this.onChange();
  }

  /** Forget every pending line (the consultation is over and its screen is wiped). */
  clear() {
    this.generation += 1;
    this.items = [];
    this.timeoutsInARow = 0;
    this.onChange();
  }
}
