// The console's status words, one table: the badge in the bar, the idle view's heading and lead, and the call
// view's heading all read from it, so they cannot disagree.
//
// Why: three places named the agent's state on their own and drifted — the idle view said 「待機中 「受付する」を
// 押すと…」 while the badge said 離席中, and a text-only web chat was headed 通話中. Now the idle heading is the badge's
// own word, the lead says what the agent can do from that state, and a consultation without media (call.start
// media: false, the call view's data-media="false") is 「チャット中」 in the badge and the heading alike.
// data-status on the badge stays the server's status (busy), only its words change.

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

/** The word for `status`; a busy agent in a consultation without media is chatting, not in a call. */
export function statusKey(status, textOnly = false) {
  if (status === "busy" && textOnly) return CHATTING;
  return (STATUS_TEXT[status] ?? STATUS_TEXT.away).now;
}

function put(element, key, t) {
  if (!element || element.dataset.i18n === key) return;
  element.dataset.i18n = key;
  element.textContent = t(key);
}

/** Write every status text of the page from one status (and whether the consultation in hand has media). */
export function renderStatusTexts(status, t) {
  const textOnly = $("call-view")?.dataset.media === "false";
  const row = STATUS_TEXT[status] ?? STATUS_TEXT.away;
  put($("agent-status-text"), statusKey(status, textOnly), t);
  put($("idle-heading"), row.now, t);
  put($("idle-lead"), row.lead, t);
  put($("call-heading"), textOnly ? CHATTING : STATUS_TEXT.busy.now, t);
}
