// The resident chat for phones: the bot first, then a person, in one conversation.
//
// Why it is built this way:
// - Residents are anonymous. The server gives a resume token in `resident.state`; it is kept in
//   sessionStorage (this tab only, gone when the tab closes; tabmemory.js) and sent as auth {resume} on every
//   (re)connect, so a reload or a dropped mobile link brings back the same conversation.
// - The server is the source of truth: `resident.state` after each connect decides the phase (bot, waiting,
//   talking) and replays the transcript. Lines are shown only as the server echoes them, so the resident sees
//   exactly what was recorded, with their 個人番号 already masked.
// - The conversation is the shared chat panel (chat.js), given the resident's hooks: lines styled by sender,
//   the bot's suggestion buttons under its lines, a first line that opens the consultation (no id yet), no
//   provisional text before the masked echo, and the whole page scrolling rather than the log.
// - The transcript replay carries no bot extras (suggestions, links, the danger question, hotlines), so those
//   are remembered per line in sessionStorage; they are the town's own texts, never anything the resident typed.
// - Text from anyone is put on screen with textContent only; line breaks survive through CSS (pre-wrap).
// - A bot line with urgent:true shows 110/119 and the hotlines at once (hotlines.js), and they stay until
//   "start over". So does the bot's danger question (safety_check:true), which also offers はい/いいえ buttons.
// - The bot's lines show their phone numbers as tel: links and the answer's knowledge-base links under them
//   (the chat panel's decorate hook, botlines.js; still textContent and DOM nodes only); the page keeps the
//   newest line in view (followscroll.js). An answer about booking carries a button to /book with the topic
//   the conversation named chosen there (?route=…, chatbot/booking_offer.py).

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { ChatPanel } from "./chat.js";
import { timeZone } from "./clock.js";
import { formatDayAndTime } from "./dates.js";
import { ClosedNotice } from "./closednotice.js";
import { keepParticlesJoined } from "./easyphrases.js";
import { weekText } from "./townhours.js";
import { Csat } from "./csat.js";
import { RECEIVE, SEND } from "./events.js";
import { botLineDecorator } from "./botlines.js";
import { FollowNewest } from "./followscroll.js";
import { hotlineItems } from "./hotlines.js";
import { InterpreterNote } from "./interpreternote.js";
import {
  applyTranslations,
  browserLanguage,
  firstKnownKey,
  hasText,
  initI18n,
  language,
  setLanguage,
  t,
} from "./i18n.js";
import { followTownName } from "./townname.js";
import { LanguagePicker } from "./langpicker.js";
import { errorText, request } from "./net.js";
import { NoAnswerPanel } from "./noanswer.js";
import { ResidentVideo, startBookedVideo } from "./residentvideo.js";
import { TabMemory } from "./tabmemory.js";

const $ = (id) => document.getElementById(id);

const municipalityId = document.body.dataset.municipalityId;
const MAX_CHARS = Number(document.body.dataset.maxChars || 1000);
const WAITING_STATES = new Set(["waiting", "offered"]);
const RECONNECTING_WAITING_KEYS = ["resident.reconnecting.waiting", "error.offline"];

let socket = null; // created after the catalog is loaded, below
let csat = null; // the question after a chat, made with the socket
let chat = null; // the conversation (created with the socket)
let closedNotice = null; // "closed now" on the start page; it also knows the town's hours (created with the socket)

const state = {
  phase: "start", // start | bot | waiting | talking | closed
  consultationId: null,
  position: null,
  waitEstimate: null,
  offered: false,
  route: null, // the route the case waits on now (queue.position's, the resident's view's): named after a transfer
  peer: null, // who the resident talks with: the server's call.start peer ({display_name, latin_name, interpreter})
  peerLost: false,
  backInLine: null, // why a call went back to the queue: "agent_link_lost" or "transferred" (call.end's reason)
  closedReason: null,
  urgent: false,
  hotlines: [],
  sending: false,
  callback: null, // the call-back asked for that staff have not made yet ({id, requested_at, phone_end}; the server's)
};
const banner = new Banner($("banner"), { defaultKind: "error" });
const noAnswer = new NoAnswerPanel($("no-answer"), {
  send: async (phone) => {
    const ack = await request(socket, SEND.CALLBACK_REQUEST, { consultation_id: state.consultationId, phone });
    state.callback = ack.callback ?? null; // shown in the closed card, with a way to withdraw it
    render(); // consultation.closed may have come before this ack
    return ack;
  },
  onError: (err) => banner.show(errorText(err)),
});
const memory = new TabMemory(municipalityId);
const follow = new FollowNewest($("res-main"));
const scrollToNewest = () => follow.toNewest();

// -------------------------------------------------------------------------------------------- banner

function setConnection(status) {
  const indicator = $("connection-status");
  indicator.dataset.state = status;
  const key = `resident.conn.${status}`;
  $("conn-text").dataset.i18n = key;
  $("conn-text").textContent = t(key);
  renderControls();
}

// --------------------------------------------------------------------------------------------- phases

function setPhase(phase) {
  state.phase = phase;
  document.body.dataset.phase = phase;
  render();
}

function render() {
  renderWaiting();
  renderTalking();
  renderClosed();
  renderUrgent();
  renderControls();
  $("intro").hidden = $("chat-log").children.length > 0;
}

function renderControls() {
  const connected = socket?.connected === true;
  const phase = state.phase;
  $("composer").hidden = phase === "closed";
  $("handoff-request").hidden = !(phase === "start" || phase === "bot");
  $("handoff-request").disabled = !connected || state.sending;
  $("chat-send").disabled = false; // offline, lines wait in the outbox and go when the link is back
  for (const button of document.querySelectorAll('[data-testid="bot-suggestion"]')) {
    button.disabled = !connected || phase !== "bot";
  }
}

function renderWaiting() {
  const card = $("waiting-card");
  card.hidden = state.phase !== "waiting";
  if (card.hidden) $("cancel-waiting-ask").hidden = true; // asked while waiting: not over the call or the end
  if (card.hidden) {
    if (!noAnswer.root.hidden || noAnswer.reason) noAnswer.reset();
    return;
  }
  noAnswer.render(state.offered);
  const nobody = !noAnswer.root.hidden; // nobody can answer now: 「次が あなたの番です」 is no promise to make
  // 「役場の 人を 待って います」 above 「いまは 窓口が しまっています」 said two things at once (ux12): the
  // panel's heading says what is true, as on the kiosk; the card keeps only the way to stop waiting
  $("waiting-heading").hidden = nobody;
  // nobody on duty (or closed): "No. 2, 1 person ahead" beside "nobody can answer" would tell two truths; the
  // place in line stays kept (someone coming on duty takes the line in order) but is not shown as a promise
  const noPlace = nobody && ["nobody", "closed"].includes(noAnswer.root.dataset.reason);
  renderAfterHours(nobody && noAnswer.root.dataset.reason === "closed");
  const position = noPlace ? null : state.position;
  const place = $("queue-place");
  const ahead = $("queue-ahead");
  if (state.offered) {
    delete card.dataset.position;
    place.textContent = t("resident.waiting.offered");
    ahead.textContent = "";
  } else if (Number.isInteger(position) && position > 0) {
    card.dataset.position = String(position);
    place.textContent = t("resident.waiting.position", { position });
    ahead.textContent =
      position > 1 ? t("resident.waiting.ahead", { count: position - 1 }) : nobody ? "" : t("resident.waiting.next");
  } else {
    delete card.dataset.position;
    place.textContent = "";
    ahead.textContent = "";
  }
  const estimate = $("wait-estimate");
  const seconds = state.waitEstimate;
  estimate.classList.toggle("unknown", seconds == null);
  if (seconds == null) estimate.textContent = t("resident.waiting.estimate_unknown");
  else if (seconds < 60) estimate.textContent = t("resident.waiting.estimate_soon");
  else estimate.textContent = t("resident.waiting.estimate", { minutes: Math.round(seconds / 60) });
  renderBackInLine();
}

/** Outside the opening hours the band says so in plain words, when the office opens and what to do meanwhile
 * (ux14: the band was empty apart from its button, beside the panel's red heading). */
function renderAfterHours(closed) {
  $("waiting-closed").hidden = !closed;
  // the band says it, with when the office opens: the panel's red heading would say "closed" a second time
  $("no-answer-heading").hidden = closed;
  // beside the urgent banner's numbers the phone has no room for it: the hotlines come first, the panel is below
  $("waiting-closed-do").hidden = !$("urgent-banner").hidden;
  if (!closed) return;
  const opensAt = noAnswer.hours?.opens_at;
  const when = Number.isFinite(opensAt) ? formatDayAndTime(new Date(opensAt * 1000), { timeZone: timeZone() }) : "";
  $("waiting-closed-when").textContent = when
    ? `${t("resident.waiting.closed")} ${t("resident.waiting.opens", { when })}`
    : t("resident.waiting.closed");
}

/** Why the resident waits again after a call; never a promise of a call while nobody can answer. */
function renderBackInLine() {
  const back = $("back-in-line");
  const noOne = !noAnswer.root.hidden; // nobody can answer: the no-answer panel alone says what is true
  const nobody = noOne || state.offered;
  // after a transfer, the new counter by name, as the kiosk says it — also while its console rings, beside
  // 「まもなく つながります」 (that line alone left the resident wondering why the person they talked to was gone)
  const transferred = state.route
    ? t("resident.waiting.transferred_to", { route: t(`route.${state.route}`) })
    : t("resident.waiting.transferred");
  const lines =
    state.backInLine === "agent_link_lost"
      ? [t("resident.waiting.call_lost"), ...(nobody ? [] : [t("resident.waiting.call_lost_next")])]
      : state.backInLine === "transferred" && !noOne
        ? [transferred]
        : [];
  back.hidden = lines.length === 0;
  back.dataset.reason = lines.length ? state.backInLine : "";
  back.textContent = lines.join(" ");
}

function renderTalking() {
  $("talking-card").hidden = state.phase !== "talking";
  const name = peerName(state.peer);
  $("talking-text").textContent = name ? t("resident.talking.with", { name }) : t("resident.talking.with_anyone");
  // the agent does not speak the resident's language: their lines come in Japanese (no machine translation
  // here); say so in the resident's language, and that an interpreter can be called (interpreter-note says when)
  $("staff-language").hidden = !(state.phase === "talking" && state.peer?.interpreter === true);
  $("peer-notice").hidden = !state.peerLost;
  $("peer-notice").textContent = state.peerLost ? t("media.peer_lost") : "";
}

/** Why the chat closed, in words (any other reason: the plain thank-you). */
const CLOSED_TEXT = {
  callback_withdrawn: "resident.callback.withdrawn",
  callback: "resident.closed.callback",
  cancelled: "resident.closed.cancelled",
  resident_link_lost: "resident.closed.lost",
  evicted: "resident.closed.evicted", // the town's chats were full: this one made room (signaling/chat_pool.py)
};

/** Reasons whose sentence ends with the town's phone number: the resident was turned away by a full counter. */
const WITH_PHONE = new Set(["evicted", "busy", "source_limit"]);

/** 「お急ぎの ときは、<the town's number> に お電話ください。」, or "" when the town's file has no number. */
function callTown() {
  return hasText("town.phone") ? t("resident.call_town", { phone: t("town.phone") }) : "";
}

/** ``text`` and, when ``reason`` turned the resident away, the town's number after it. */
function withPhone(text, reason) {
  const call = WITH_PHONE.has(reason) ? callTown() : "";
  return call ? `${text} ${call}` : text;
}

const LATIN = /^[\p{Script=Latin}\p{Zs}.'-]+$/u;

/** The agent's name as the resident can read it: their own name on a Japanese page; on any other, the name in
 * Latin letters staff gave (Staff.latin_name), or the display name if it is in Latin letters already; else none,
 * and the card says "a staff member" in the resident's language (「窓口 二葉」 meant nothing to a Vietnamese reader). */
function peerName(peer) {
  if (!peer) return "";
  const own = peer.display_name || "";
  if (language() === "ja" || language() === "easy-ja") return own;
  if (peer.latin_name) return peer.latin_name;
  return LATIN.test(own) ? own : "";
}

function renderClosed() {
  $("closed-card").hidden = state.phase !== "closed";
  renderCallback();
  const key = CLOSED_TEXT[state.closedReason] ?? "resident.closed.done";
  $("closed-text").textContent = withPhone(t(key), state.closedReason);
  $("closed-text").hidden = Boolean(state.callback); // the standing call-back's own line says it, with when and whom
}

/** The call-back asked for, while staff have not made it: when, the number's last digits, and a way to withdraw
 * it (asked once, in the page: はい / いいえ). It comes from the server (resident.state), so a reload keeps it. */
function renderCallback() {
  const callback = state.phase === "closed" ? state.callback : null;
  $("callback-standing").hidden = !callback;
  if (!callback) {
    $("callback-withdraw-ask").hidden = true;
    return;
  }
  // the same words whether or not the number was waiting already: nobody learns that from typing it (session 15)
  $("callback-standing-text").textContent = t("resident.callback.standing", {
    when: formatDayAndTime(new Date(callback.requested_at * 1000), { timeZone: timeZone() }), // in words (dates.js)
    digits: callback.phone_end || "",
  });
  // and when the town calls: in its opening hours, as the kiosk says (a number left after hours is not called
  // tonight). The hours come with the wait (no-answer panel) or, after a reload, from hours.get.
  const weekly = noAnswer.hours?.weekly || closedNotice?.hours?.weekly;
  $("callback-when").hidden = !weekly;
  $("callback-when").textContent = weekly ? t("resident.callback.when", { week: weekText(weekly) }) : "";
  $("callback-withdraw").hidden = !$("callback-withdraw-ask").hidden;
}

async function withdrawCallback(button) {
  const callback = state.callback;
  if (!callback) return;
  button.disabled = true;
  try {
    await request(socket, SEND.CALLBACK_WITHDRAW, { callback_id: callback.id });
    state.callback = null;
    state.closedReason = "callback_withdrawn";
    $("callback-withdraw-ask").hidden = true;
    render();
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    button.disabled = false;
  }
}

// -------------------------------------------------------------------------------------- urgent banner

function showUrgent(hotlines) {
  state.urgent = true;
  if (Array.isArray(hotlines) && hotlines.length) state.hotlines = hotlines;
  renderUrgent();
  $("urgent-banner").scrollIntoView?.({ block: "nearest" });
}

$("urgent-toggle").addEventListener("click", () => {
  const toggle = $("urgent-toggle");
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  $("urgent-banner").dataset.expanded = String(open); // chat.css shows the "when to call" lines on a phone
});

function renderUrgent() {
  $("urgent-banner").hidden = !state.urgent;
  $("hotlines").replaceChildren(...(state.urgent ? hotlineItems(state.hotlines) : []));
}

/** The booking page, in the chat's language, with the topic the conversation named already chosen. */
function bookingHref(booking) {
  const query = new URLSearchParams({ lang: language() });
  if (typeof booking.route === "string" && booking.route) query.set("route", booking.route);
  return `/book/${encodeURIComponent(municipalityId)}?${query}`;
}

// ------------------------------------------------------------------------------------------- the log

/** Forget the conversation's state (not its lines): the phase's details, the urgent numbers, the bot's extras. */
function forgetConversation() {
  state.consultationId = null;
  state.position = null;
  state.waitEstimate = null;
  state.offered = false;
  state.route = null;
  state.peer = null;
  state.peerLost = false;
  state.backInLine = null;
  state.closedReason = null;
  state.urgent = false;
  state.hotlines = [];
  memory.forgetBot();
}

/** Forget the conversation and its lines, pending ones included; the draft stays. */
function clearConversation() {
  chat.clear({ keepDraft: true });
  forgetConversation();
}

function adoptConsultation(consultationId) {
  if (state.consultationId === consultationId) return;
  if (state.consultationId !== null || state.phase === "closed") {
    // Lines typed before the server named the new conversation belong to it: they stay and keep going.
    forgetConversation();
    chat.adopt(consultationId);
  }
  state.consultationId = consultationId;
  if (state.phase === "start" || state.phase === "closed") setPhase("bot");
}

// ------------------------------------------------------------------------------------------- actions

function send() {
  const input = $("chat-input");
  const text = input.value.trim();
  if (!text) return;
  if (text.length > MAX_CHARS) {
    banner.show(t("resident.error.too_long", { max: MAX_CHARS, count: text.length }));
    input.focus();
    return;
  }
  chat.send();
  updateCount();
}

function lineAcknowledged(item, ack) {
  // The recorded (masked) line comes as chat.message or in the replay; the pending one is gone already.
  if (typeof ack.consultation_id === "string") adoptConsultation(ack.consultation_id);
  if (ack.personal_number) banner.show(`${t("privacy.personal_number")} ${t("resident.masked_note")}`, { kind: "info" });
  else if (ack.masked) banner.show(t("resident.masked_note"), { kind: "info" });
  if (Number.isInteger(ack.position)) queued(ack.position, ack.wait_estimate_s ?? null);
  renderControls();
}

async function askForPerson() {
  if (state.sending) return;
  if (!state.consultationId) {
    // Nothing said yet: the words themselves ask for a person, and the bot hands over at once.
    chat.say(t("resident.handoff.ask_text"));
    return;
  }
  state.sending = true;
  renderControls();
  try {
    const ack = await request(socket, SEND.HANDOFF_REQUEST, {
      consultation_id: state.consultationId,
      language: language(),
    });
    queued(ack.position, ack.wait_estimate_s ?? null);
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    state.sending = false;
    renderControls();
  }
}

async function chooseSuggestion(entryId, button) {
  if (!state.consultationId || state.phase !== "bot") return;
  button.disabled = true;
  try {
    // the page's language now: a resident who switched since their last line is answered in the new one
    await request(socket, SEND.SUGGESTION_CHOOSE, {
      consultation_id: state.consultationId,
      entry_id: entryId,
      language: language(),
    });
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    renderControls();
  }
}

function queued(position, waitEstimate) {
  state.position = Number.isInteger(position) ? position : state.position;
  state.waitEstimate = waitEstimate;
  if (state.phase !== "talking" && state.phase !== "closed") setPhase("waiting");
  else renderWaiting();
}

/** Stop waiting (consultation.cancel) or end the talk (consultation.end), the button held down meanwhile. */
async function leave(button, event) {
  if (!state.consultationId) return;
  button.disabled = true;
  try {
    await request(socket, event, { consultation_id: state.consultationId });
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    button.disabled = false;
  }
}

function startOver() {
  clearConversation();
  banner.hide();
  $("chat-input").value = "";
  updateCount();
  setPhase("start");
  $("chat-input").focus();
}

function updateCount() {
  const length = $("chat-input").value.trim().length;
  const counter = $("char-count");
  counter.hidden = length < MAX_CHARS * 0.8;
  counter.classList.toggle("over", length > MAX_CHARS);
  counter.textContent = t("resident.char_count", { count: length, max: MAX_CHARS });
}

// ------------------------------------------------------------------------------------ server messages

function applyResidentState(message) {
  if (typeof message.resume_token === "string") memory.set("resume", message.resume_token);
  const view = message.consultation;
  state.callback = !view && message.callback ? message.callback : null;
  if (!view && state.callback) {
    // nothing open, but the call-back asked for stands (a reload after the confirmation): say so
    if (state.consultationId === null) state.closedReason = "callback";
    setPhase("closed");
    return;
  }
  if (!view) {
    // Nothing open on the server: a conversation we were showing ended while the link was down. Lines typed
    // for it meanwhile are not sent (they would start a new conversation nobody asked for).
    if (state.consultationId && state.phase !== "closed") {
      chat.dropPending();
      setPhase("closed");
    } else {
      render();
    }
    return;
  }
  const remembered = memory.bot(); // read before anything is cleared
  const id = view.consultation_id;
  if (state.consultationId !== null && state.consultationId !== id) clearConversation();
  state.consultationId = id;
  const extras = remembered && remembered.consultation_id === id ? remembered : { lines: {}, hotlines: [] };
  for (const line of view.chat || []) {
    chat.receive({ ...line, consultation_id: id, bot: extras.lines[String(line.seq)] || null }, id);
  }
  if (view.urgent) showUrgent(extras.hotlines);
  state.offered = view.state === "offered";
  if (WAITING_STATES.has(view.state)) {
    // Why the resident waits again is said after a reload too: the call was cut, or an agent transferred it.
    if (view.call_lost) state.backInLine = "agent_link_lost";
    else if (view.transferred) state.backInLine = "transferred";
    if (typeof view.route === "string" && view.route) state.route = view.route;
    state.position = view.position ?? null;
    state.waitEstimate = view.wait_estimate_s ?? null;
    noAnswer.update(view);
    setPhase("waiting");
  } else if (view.state === "active") {
    state.peer = view.call?.peer || null;
    setPhase("talking");
  } else {
    setPhase("bot");
  }
}

function onChatMessage(message) {
  if (state.consultationId === null && state.phase !== "closed") adoptConsultation(message.consultation_id);
  if (message.consultation_id !== state.consultationId) return;
  const bot = message.sender === "bot" && message.bot && typeof message.bot === "object" ? message.bot : null;
  if (bot) memory.rememberBotLine(message.consultation_id, message.seq, bot);
  chat.receive({ ...message, bot }, state.consultationId);
  if (bot && (bot.urgent === true || bot.safety_check === true)) showUrgent(bot.hotlines);
}

function onQueuePosition(message) {
  if (message.consultation_id !== state.consultationId) return;
  state.offered = Boolean(message.ringing);
  if (message.call_lost) state.backInLine = "agent_link_lost";
  else if (message.transferred && state.backInLine === null) state.backInLine = "transferred";
  if (typeof message.route === "string" && message.route) state.route = message.route;
  noAnswer.update(message);
  queued(message.position, message.wait_estimate_s ?? null);
}

function onCallStart(message) {
  if (message.consultation_id !== state.consultationId) return;
  state.peer = message.peer || null;
  state.peerLost = false;
  state.backInLine = null;
  setPhase("talking");
}

/** The call ended without the consultation closing: the agent's link stayed down, or they transferred it. The
 * resident waits again (queue.position brings the place and the wait), told why. */
function onCallEnd(message) {
  if (message.consultation_id !== state.consultationId) return;
  if (message.reason !== "agent_link_lost" && message.reason !== "transferred") return;
  state.backInLine = message.reason;
  state.peerLost = false;
  state.offered = false;
  setPhase("waiting");
}

function onClosed(message) {
  if (message.consultation_id !== state.consultationId) return;
  state.closedReason = message.reason || null;
  // the server's one rule with the kiosk: asked after a person answered (or a chat the bot finished), never after a
  // call-back or a wait that reached nobody (「今日の相談は どうでしたか」 to someone nobody answered)
  if (message.ask_satisfaction === true) csat?.ask(message.consultation_id); // hidden again after a while
  setPhase("closed");
  scrollToNewest();
}

// ------------------------------------------------------------------------------------------- start-up

await initI18n();
// easy Japanese: 「送る」を stays on one line (the page's own texts; chat.css breaks them only between phrases)
keepParticlesJoined(".res-intro, .closed-now, .status-card, .no-answer, .closed-card, .composer, .urgent-banner h2, .res-banner");
// The resident's own choice (this tab) first; on a first visit without ?lang=, the browser's first language that
// the page offers (a phone set to English opens in English; Japanese when none of them is offered).
const storedLanguage = memory.get("lang") || browserLanguage();
if (storedLanguage && storedLanguage !== language() && !new URLSearchParams(location.search).has("lang")) {
  await setLanguage(storedLanguage).catch(() => null);
}

socket = io("/resident", {
  auth: (cb) => cb({ resume: memory.get("resume") || undefined, municipality: municipalityId }),
  transports: ["websocket", "polling"],
  reconnectionDelayMax: 10000,
});

chat = new ChatPanel({
  socket,
  log: $("chat-log"),
  form: null, // send() below checks the length first
  input: $("chat-input"),
  me: "resident",
  senderKeys: { resident: "resident.sender.me", agent: "resident.sender.agent" },
  consultationId: () => state.consultationId,
  onError: (text, err) => {
    banner.show(withPhone(text, err?.code)); // refused by a full counter: the town's number to call instead
    // Nobody can take this line now (too many open from this connection): whatever it said, the numbers for
    // life and safety (110, 119 and the town's) stay in reach.
    if (err?.code === "source_limit") showUrgent(state.hotlines);
    renderControls();
  },
  lineClasses: (sender) => [`from-${sender}`],
  decorate: botLineDecorator({
    bookingHref: (booking) => bookingHref(booking),
    canAnswer: () => state.phase === "bot",
    say: (text) => chat.say(text),
    choose: chooseSuggestion,
  }),
  payload: ({ text }) => ({ text, language: language() }), // the first line opens the consultation
  provisional: false, // our words show once masked, as the server recorded them
  onAck: lineAcknowledged,
  onShown: () => {
    $("intro").hidden = true;
    renderControls();
  },
  scroll: scrollToNewest,
});

// outside the opening hours the start page says so, as the kiosk does (hours.get, every minute while connected)
closedNotice = new ClosedNotice($("closed-now"), socket, { onHours: () => renderCallback() });

socket.on("connect", () => {
  banner.hide();
  setConnection("ready");
  closedNotice.start();
});
socket.on("disconnect", () => {
  closedNotice.stop();
  setConnection("offline");
  // Waiting in line: say in plain words that the place is kept while the link is restored.
  const keys = state.phase === "waiting" ? RECONNECTING_WAITING_KEYS : ["error.offline"];
  banner.show(t(firstKnownKey(...keys)), { sticky: true });
});
socket.on("connect_error", (err) => {
  setConnection("offline");
  if (socket.active) return; // network trouble: the client retries by itself
  const code = err?.data?.code;
  banner.show(code === "not_found" ? t("resident.error.unknown_town") : errorText({ code }), { sticky: true });
});
socket.on(RECEIVE.RESIDENT_STATE, applyResidentState);
new ResidentVideo({ socket, banner }); // the agent's invitation to video, and the video call on the phone
startBookedVideo({ socket, banner, language }); // opened from the booking page at the booked time
socket.on(RECEIVE.CHAT_MESSAGE, onChatMessage);
socket.on(RECEIVE.CHAT_REDACT, (message) => chat.redact(message, state.consultationId));
socket.on(RECEIVE.QUEUE_POSITION, onQueuePosition);
socket.on(RECEIVE.CALL_START, onCallStart);
socket.on(RECEIVE.CALL_END, onCallEnd);
socket.on(RECEIVE.CALL_COMING, (message) => {
  if (message.consultation_id !== state.consultationId || state.phase !== "waiting") return;
  state.offered = Boolean(message.ringing);
  renderWaiting();
});
socket.on(RECEIVE.PEER_LINK, (message) => {
  if (message.consultation_id !== state.consultationId) return;
  state.peerLost = !message.connected;
  renderTalking();
});
socket.on(RECEIVE.CONSULTATION_CLOSED, onClosed);
new InterpreterNote({ socket, consultation: () => (state.consultationId ? { id: state.consultationId } : null) });

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
$("chat-input").addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter is a new line; never while a Japanese input method is still composing.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    send();
  }
});
$("chat-input").addEventListener("input", updateCount);
$("handoff-request").addEventListener("click", askForPerson);
$("cancel-waiting").addEventListener("click", () => {
  $("cancel-waiting-ask").hidden = false;
  $("cancel-waiting-no").focus();
});
$("cancel-waiting-no").addEventListener("click", () => {
  $("cancel-waiting-ask").hidden = true;
});
$("cancel-waiting-yes").addEventListener("click", () => {
  $("cancel-waiting-ask").hidden = true;
  leave($("cancel-waiting-yes"), SEND.CONSULTATION_CANCEL);
});
$("chat-end").addEventListener("click", () => leave($("chat-end"), SEND.CONSULTATION_END));
$("callback-withdraw").addEventListener("click", () => {
  $("callback-withdraw-ask").hidden = false;
  renderCallback();
  $("callback-withdraw-no").focus();
});
$("callback-withdraw-no").addEventListener("click", () => {
  $("callback-withdraw-ask").hidden = true;
  renderCallback();
});
$("callback-withdraw-yes").addEventListener("click", () => withdrawCallback($("callback-withdraw-yes")));
$("chat-restart").addEventListener("click", () => {
  csat.reset();
  startOver();
});
setInterval(() => state.phase === "waiting" && noAnswer.render(state.offered), 1000);
csat = new Csat({ socket, root: $("csat"), hideAfterMs: 20_000 });
new LanguagePicker({
  onChange: (code) => memory.set("lang", code),
  onError: () => banner.show(t("error.offline")),
});
/** The page's own links to booking (the "nobody can answer" panel's, the footer's) open in the chat's language,
 * as the bot's booking button does: a Vietnamese resident landed on a Japanese booking page. */
function localiseBookLinks() {
  for (const link of document.querySelectorAll('[data-testid="no-answer-book"], [data-testid="book-link"]')) {
    link.href = bookingHref({});
  }
}

followTownName($("town-name"));
document.addEventListener("i18n:change", () => {
  localiseBookLinks();
  render();
  updateCount();
});
localiseBookLinks();

applyTranslations();
setConnection("connecting");
render();
