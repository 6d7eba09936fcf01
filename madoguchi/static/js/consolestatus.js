// The console's status words, one table: the badge in the bar, the idle view's heading and lead, and the call
// view's heading all read from it, so they cannot disagree.
//
// Why: three places named the agent's state on their own and drifted — the idle view said 「待機中 「受付する」を
// 押すと…」 while the badge said 離席中, and a text-only web chat was headed 通話中. Now the idle heading is the badge's
// own word, the lead says what the agent can do from that state, and a consultation without media (call.start
// media: false, the call view's data-media="false") is 「チャット中」 in the badge and the heading alike.
// data-status on the badge stays the server's status (busy), only its words change.
// While the resident's screen is gone (peerlost.js: the peer-lost notice is shown, the timer stands still) the badge
// says 中断中 (data-paused="true"), not 通話中; and a text chat's end button and question speak of the chat
// (チャットを終える), not of a call.

const $ = (id) => document.getElementById(id);

/** status → the word for it (badge, idle heading) and what the idle view says can happen next. */
const STATUS_TEXT = Object.freeze({
  offline: { now: "console.status.now.offline", lead: "console.conn.connecting" },
  available: { now: "console.status.now.available", lead: "console.idle.available" },
  away: { now: "console.status.now.away", lead: "console.idle.lead" },
  ringing: { now: "console.status.now.ringing", lead: "console.idle.available" },
  busy: { now: "console.status.now.busy", lead: "console.idle.available" },
  wrap_up: { now: "console.status.now.wrap_up", lead: "console.idle.available" },
});
const CHATTING = "console.status.now.chatting";
const PAUSED = "console.status.now.paused";
/** The end button, its question and its yes: a call's words, or a text chat's. */
const END_TEXT = Object.freeze({
  call: { button: "console.call.end", ask: "console.call.end_confirm", yes: "console.call.end_yes" },
  chat: { button: "console.chat.end", ask: "console.chat.end_confirm", yes: "console.chat.end_yes" },
});

/** The word for `status`; a busy agent in a consultation without media is chatting, not in a call; one whose
 *  resident's screen went away is paused. */
export function statusKey(status, textOnly = false, paused = false) {
  if (status === "busy" && paused) return PAUSED;
  if (status === "busy" && textOnly) return CHATTING;
  return (STATUS_TEXT[status] ?? STATUS_TEXT.away).now;
}

/** The status the page shows: 着信中 only while the offer is on screen (`view` "offer"). ux16: after a transfer the
 *  server's "ringing" reached an idle view, and the badge and heading said 着信中 over 「相談が 届くのを 待っています」;
 *  until its offer is shown the agent is, as far as they can see, taking cases (受付中). */
export function shownStatus(status, view) {
  return status === "ringing" && view !== "offer" ? "available" : status;
}

function put(element, key, t) {
  if (!element || element.dataset.i18n === key) return;
  element.dataset.i18n = key;
  element.textContent = t(key);
}

/** Write every status text of the page from one status (and whether the consultation in hand has media). */
export function renderStatusTexts(serverStatus, t) {
  const status = shownStatus(serverStatus, document.body.dataset.view);
  const textOnly = $("call-view")?.dataset.media === "false";
  const paused = status === "busy" && $("peer-lost")?.hidden === false;
  const row = STATUS_TEXT[status] ?? STATUS_TEXT.away;
  const badge = $("agent-status");
  if (badge) badge.dataset.paused = String(paused);
  put($("agent-status-text"), statusKey(status, textOnly, paused), t);
  put($("idle-heading"), row.now, t);
  put($("idle-lead"), row.lead, t);
  put($("call-heading"), textOnly ? CHATTING : STATUS_TEXT.busy.now, t);
  const end = END_TEXT[textOnly ? "chat" : "call"];
  put($("end-call"), end.button, t);
  put($("end-confirm-question"), end.ask, t);
  put($("end-call-confirm"), end.yes, t);
}
