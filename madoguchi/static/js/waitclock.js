// How long each resident has waited, for the whole console from one source: the server's waited_s, noted when it
// arrives (queue.snapshot, offer) and ticked on this page's clock. The queue's line and the ringing offer read the
// same figure, so they can no longer say 0:02 and 0:00 about one resident.

import { nowSeconds } from "./net.js";

const since = new Map(); // consultation id → when they began waiting, on this page's clock

/** The server says `id` has waited `waitedS` seconds (the newest word wins). */
export function noteWaited(id, waitedS) {
  const waited = Number(waitedS);
  if (!id || waitedS === null || waitedS === undefined || !Number.isFinite(waited)) return;
  since.set(id, nowSeconds() - Math.max(0, waited));
}

/** Seconds `id` has waited by now (0 when the server has not said). */
export function waitedFor(id) {
  return since.has(id) ? Math.max(0, nowSeconds() - since.get(id)) : 0;
}

/** Drop every case but `keep` (ids): the queue moved on. */
export function keepOnly(keep) {
  for (const id of since.keys()) if (!keep.has(id)) since.delete(id);
}
