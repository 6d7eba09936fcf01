// The kiosk's waiting screen: the place in line, the estimate and the time waited, in big figures. Pure drawing
// from the booth's record of the case; the time waited comes from the server's `waited_s` (sinceFromServer), so
// a reload or a reconnect keeps it and a kiosk clock that is off does not matter.

import { t } from "./i18n.js";
import { nowSeconds } from "./net.js";

const $ = (id) => document.getElementById(id);

/** When the resident started waiting, on this kiosk's clock, from the server's `waited_s`; undefined if absent. */
export function sinceFromServer(message) {
  const waited = Number(message.waited_s);
  return Number.isFinite(waited) && message.waited_s !== null ? nowSeconds() - Math.max(0, waited) : undefined;
}

/** The figures of the case `c` ({route, position, waitEstimate, since, offered, transferred, moved,
 * lost}); nothing when
 * there is none. `transferred`: an agent sent the case to another route (the server's `queue.position` says so);
 * `lost`: the call was cut because the agent's link stayed down, and the case is back in line. `noAnswer`: the
 * "no one can answer" panel shows, so nothing here may promise a call ("we will connect you", "the right desk"). */
export function renderWaiting(c, { noAnswer = false } = {}) {
  if (!c) return;
  $("waiting-route").textContent = c.route ? t("booth.waiting.route", { route: t(`route.${c.route}`) }) : "";
  const position = $("queue-position");
  if (Number.isInteger(c.position) && c.position > 0) {
    position.dataset.position = String(c.position);
    position.textContent = t("booth.waiting.position", { position: c.position });
    $("queue-ahead").textContent =
      c.position === 1 ? t("booth.waiting.next") : t("booth.waiting.ahead", { count: c.position - 1 });
  } else {
    delete position.dataset.position;
    position.textContent = "—";
    $("queue-ahead").textContent = "";
  }
  const estimate = $("wait-estimate");
  estimate.classList.toggle("unknown", c.waitEstimate == null);
  if (c.waitEstimate == null) estimate.textContent = t("booth.waiting.estimate_unknown");
  else if (c.waitEstimate < 60) estimate.textContent = t("booth.waiting.estimate_soon");
  else estimate.textContent = t("booth.waiting.estimate", { minutes: Math.ceil(c.waitEstimate / 60) });
  const minutes = Math.floor(Math.max(0, nowSeconds() - c.since) / 60);
  $("waited").textContent = minutes < 1 ? t("booth.waiting.elapsed_short") : t("booth.waiting.elapsed", { minutes });
  $("waiting-ringing").hidden = !c.offered;
  // 「順番を お待ちください」 is no instruction beside "nobody can answer": the panel's heading says what is true
  $("waiting-heading").hidden = noAnswer;
  // sent to another desk: say so until someone answers (while the new desk rings too), unless nobody there can
  // answer (the panel says that, and what to do instead)
  $("waiting-transferred").hidden = !c.transferred || Boolean(c.lost) || noAnswer;
  // a supervisor moved the case: 「ご用件：税金」 alone would be a riddle; say staff changed the desk (a fact, so
  // also beside "nobody can answer"), and that the place in line is kept
  $("waiting-moved").hidden = !c.moved || Boolean(c.transferred);
  $("waiting-lost").hidden = !c.lost;
  // "we connect you again" only while it is true; beside "nobody can answer", that the place is kept (ux16)
  const next = $("waiting-lost-next");
  next.hidden = Boolean(c.offered);
  next.dataset.i18n = noAnswer ? "booth.waiting.call_lost_kept" : "booth.waiting.call_lost_next";
  next.textContent = t(next.dataset.i18n);
}

/** Empty figures: nothing of the last resident stays on screen. */
export function clearWaiting() {
  $("waiting-route").textContent = "";
  $("queue-position").textContent = "";
  delete $("queue-position").dataset.position;
  $("queue-ahead").textContent = "";
  $("wait-estimate").textContent = "";
  $("waited").textContent = "";
  $("waiting-transferred").hidden = true;
  $("waiting-moved").hidden = true;
  $("waiting-lost").hidden = true;
  $("waiting-heading").hidden = false;
}
