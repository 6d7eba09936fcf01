// The agent console: status, live queue, incoming offer with a ring, the call, and the wrap-up form.
//
// Why it is built this way: the server owns the agent's state and sends `agent.state` on connect and on every
// change, so a reload or a dropped socket lands the agent back on the right view (offer, call or wrap-up)
// without local bookkeeping. The ring is ringer.js; the call itself is the call screen shared with the kiosk
// (callscreen.js), on which the console is the impolite side and also shows text-only consultations.
// A dropped link does not end a call: when the socket is back, or when the server says the resident's link is
// back (peer.link), the console, as the impolite side, offers on a fresh peer connection (call.js resume());
// the chat is replayed by seq and unsent lines go out again with their client_id (outbox.js).
// Its parts live beside it, one job each: the queue (consolequeue.js), the handoff summary and transfer notes
// (casedetails.js), the transfer form (transferform.js), the knowledge-base search (kbsearch.js), the language choice (consolelanguage.js); this
// module holds the views, the socket and the case in hand.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { CallScreen } from "./callscreen.js";
import { isOwnLine, renderHandoff, renderSummary, renderTransfer, transferText } from "./casedetails.js";
import { languageName, placeText, routeName } from "./caselabels.js";
import { ChatPanel } from "./chat.js";
import { renderStatusTexts } from "./consolestatus.js";
import { EndConfirm } from "./endconfirm.js";
import { RECEIVE, SEND } from "./events.js";
import { setUpConsoleLanguage } from "./consolelanguage.js";
import { QueueList } from "./consolequeue.js";
import { applyTranslations, formatClock, initI18n, t } from "./i18n.js";
import { InterpreterCall, InterpreterDesk } from "./interpreter.js";
import { KbSearch } from "./kbsearch.js";
import { errorText, nowSeconds, request, socketOptions, watchConnect } from "./net.js";
import { formatBookingCode } from "./numbers.js";
import { PeerLostNotice } from "./peerlost.js";
import { Ringer } from "./ringer.js";
import { StaffBooking } from "./staffbooking.js";
import { TransferForm } from "./transferform.js";
import { VideoInvite } from "./videoinvite.js";
import { keepOnly, noteWaited, waitedFor } from "./waitclock.js";
import { WrapUpDraft, forgetAllDrafts } from "./wrapupdraft.js";

const $ = (id) => document.getElementById(id);

const state = {
  view: "idle",
  status: "offline",
  connected: false,
  offer: null, // the `offer` payload, plus receivedAt
  consultation: null, // {id, route, booth_name, place, language, urgent}
  offerTimer: null,
  lastOfferId: null, // the offer just answered or dropped, whose offer.withdrawn may still arrive
  stateSocketId: null, // the socket connection whose first agent.state was applied
  revoked: false, // access.revoked came: the login is over, do not reconnect
  agentId: null, // this agent's staff id (agent.state): a line another agent wrote is labelled as theirs
  chosen: null, // agent.state's `chosen`: available or away once the call or wrap-up is over
  saving: false, // a wrap-up save sent and not yet acknowledged
  draftsChecked: false, // the drafts a dead page left were looked at (first agent.state)
};
const banner = new Banner($("banner"));
// the wrap-up being typed, kept in this browser until saved (a reload or a crash lost it: wrapupdraft.js)
const draft = new WrapUpDraft({
  agentId: () => state.agentId,
  consultationId: () => state.consultation?.id,
  fields: { disposition: $("wrapup-disposition"), note: $("wrapup-note") },
});

const ringer = new Ringer();
const queue = new QueueList();
const peerLost = new PeerLostNotice(); // the resident's screen went away during a call: say so, and what comes next

// ---------------------------------------------------------------------------------------------- helpers

function showView(name) {
  state.view = name;
  document.body.dataset.view = name;
  for (const section of document.querySelectorAll("section[data-view]")) section.hidden = section.dataset.view !== name;
  if (name === "offer") ringer.start();
  else ringer.stop();
  if (name !== "offer") clearInterval(state.offerTimer);
  if (state.status) renderStatusTexts(state.status, t); // 着信中 only with the offer on screen (consolestatus.js)
}

/** The choice in force (受付する or 離席する) for a status: while it rings, talks or wraps up, what the agent chose
 * (agent.state's `chosen`): the status they will have once it is over. Coming back to a wrap-up after the grace
 * period they are away, and the toggle must not say 受付する (UX13 finding 3). */
function choiceOf(status) {
  if (status === "available" || status === "away") return status;
  if (status === "offline") return null;
  return state.chosen === "away" ? "away" : "available";
}

function setStatus(status) {
  state.status = status;
  const box = $("agent-status");
  box.dataset.status = status;
  renderStatusTexts(status, t); // the badge, the idle view and the call heading from one table (consolestatus.js)
  const choice = choiceOf(status);
  $("status-available").setAttribute("aria-pressed", String(choice === "available"));
  $("status-away").setAttribute("aria-pressed", String(choice === "away"));
  for (const id of ["status-available", "status-away"]) $(id).disabled = !state.connected;
  renderAwayAfter();
}

/** The wrap-up says plainly when saving it leaves the agent 離席中, and offers 記録して 受付を 続ける. */
function renderAwayAfter() {
  const away = state.chosen === "away";
  $("wrapup-away-after").hidden = !away;
  $("wrapup-submit-receive").hidden = !away;
}

// ------------------------------------------------------------------------------------------------ offer

function showOffer(offer) {
  state.offer = { ...offer, receivedAt: nowSeconds() };
  $("offer-route").textContent = routeName(offer.route);
  $("offer-urgent").hidden = !offer.urgent;
  $("offer-booking").hidden = !offer.booking;
  $("offer-booking").textContent = offer.booking ? t("console.offer.booking", { code: formatBookingCode(offer.booking) }) : "";
  $("offer-place").textContent = placeText(offer);
  renderOfferInterpreter(offer);
  noteWaited(offer.consultation_id, offer.waited_s);
  renderOfferWaited();
  renderSummary($("offer-summary"), offer.summary, { alsoAsked: true });
  renderTransfer(offer, state.agentId);
  for (const id of ["offer-accept", "offer-decline"]) $(id).disabled = false;
  showView("offer");
  renderCountdown();
  clearInterval(state.offerTimer);
  state.offerTimer = setInterval(renderCountdown, 250);
}

/** The resident speaks a language this agent does not (interpreter overflow, urgent case): said in words, with
 * the way to an interpreter, not only as the language's name in the meta line. */
function renderOfferInterpreter(offer) {
  const line = $("offer-interpreter");
  line.hidden = !offer?.interpreter;
  line.textContent = offer?.interpreter ? t("console.offer.interpreter", { language: languageName(offer.language || "ja") }) : "";
}

/** The offer's language and time waited: the same clock as the queue's line for this resident (waitclock.js). */
function renderOfferWaited() {
  const offer = state.offer;
  if (!offer) return;
  const waited = document.createElement("span");
  waited.dataset.testid = "offer-waited";
  waited.textContent = t("console.offer.waited", { time: formatClock(waitedFor(offer.consultation_id)) });
  $("offer-meta").replaceChildren(`${languageName(offer.language || "ja")} · `, waited);
}

function renderCountdown() {
  const offer = state.offer;
  if (!offer) return;
  const left = Math.max(0, Math.ceil(offer.expires_at - nowSeconds()));
  $("offer-countdown").textContent = t("console.offer.countdown", { seconds: left });
  if (left <= 0) clearInterval(state.offerTimer);
}

/** Why an offer stopped ringing (offer.withdrawn's reason) → what the agent reads. */
const WITHDRAWN_KEYS = Object.freeze({
  timeout: "console.offer.withdrawn.timeout",
  declined: "console.offer.withdrawn.declined",
  agent_away: "console.offer.withdrawn.agent_away",
  cancelled: "console.offer.withdrawn.cancelled",
  resident_link_lost: "console.offer.withdrawn.resident_link_lost",
  agent_link_lost: "console.offer.withdrawn.link_lost",
  server_restart: "console.offer.withdrawn.link_lost",
});

function dropOffer() {
  if (state.offer) state.lastOfferId = state.offer.consultation_id; // its offer.withdrawn may come after the ack
  callScreen.unprepare(state.offer?.consultation_id ?? null);
  state.offer = null;
  clearInterval(state.offerTimer);
  if (state.view === "offer") showView("idle");
}

async function acceptOffer() {
  const offer = state.offer;
  if (!offer) return;
  ringer.stop();
  for (const id of ["offer-accept", "offer-decline"]) $(id).disabled = true;
  try {
    // what was made while it rang goes with the accept: our offer (the other side has it right after call.start),
    // or our answer to the booth's ringing offer (inside the booth's call.start)
    const description = await callScreen.takeEarlyOffer(offer.consultation_id);
    await request(socket, SEND.OFFER_ACCEPT, { consultation_id: offer.consultation_id, ...(description ? { description } : {}) });
    state.offer = null;
    beginConsultation({ ...offer, id: offer.consultation_id });
    if (!callScreen.live) callScreen.setNotice("media.connecting"); // call.start (before this ack) said it already
    showView("call");
  } catch (err) {
    banner.show(errorText(err));
    dropOffer();
  }
}

async function declineOffer() {
  const offer = state.offer;
  if (!offer) return;
  for (const id of ["offer-accept", "offer-decline"]) $(id).disabled = true;
  try {
    await request(socket, SEND.OFFER_DECLINE, { consultation_id: offer.consultation_id });
  } catch (err) {
    if (err.code !== "invalid_state" && err.code !== "not_found") banner.show(errorText(err));
  }
  dropOffer();
}

// ------------------------------------------------------------------------------------------------- call

function beginConsultation(details) {
  const id = details.id || details.consultation_id;
  if (state.consultation?.id !== id) {
    $("wrapup-ended").textContent = ""; // a new case: the last one's ending is not this one's
    chat.clear();
    $("wrapup-form").reset();
  }
  const previous = state.consultation?.id === id ? state.consultation : {};
  state.consultation = { ...previous, ...details, id };
  const talked = Number(details.talked_s);
  if (details.talked_s != null && Number.isFinite(talked)) state.consultation.callSince = nowSeconds() - talked;
  else if (!previous.callSince) state.consultation.callSince = nowSeconds(); // just accepted
  renderCallDetails();
}

/** The call timer: from the server's talked_s, so a reload keeps it. */
function renderTimer() {
  const c = state.consultation;
  if (!c || !c.callSince) {
    $("call-timer").textContent = "0:00";
    return;
  }
  const talked = Math.max(0, nowSeconds() - c.callSince);
  // while the resident's screen is gone the timer stands still at the moment it went (peerlost.js says so)
  $("call-timer").textContent = formatClock(peerLost.lost ? peerLost.hold(talked) : talked);
}

function renderCallDetails() {
  const c = state.consultation;
  const text = c
    ? t("console.call.details", {
        route: routeName(c.route),
        place: placeText(c) || c.peerName || "",
        language: languageName(c.language || "ja"),
      })
    : "";
  $("call-details").textContent = text;
  $("wrapup-details").textContent = text;
  renderSummary($("call-summary"), c?.summary);
  renderHandoff(c);
  interpreterCall.follow();
  const transfer = c?.transfer && typeof c.transfer === "object" ? c.transfer : null;
  $("call-transfer-note").hidden = !transfer;
  $("call-transfer-note").textContent = transfer ? transferText(transfer) : "";
  renderTimer();
}

/** Why the call ended (call.end's reason) → what the agent reads in wrap-up; their own hang-up says nothing. */
const CALL_END_KEYS = Object.freeze({
  hung_up_by_resident: "console.call.ended_by_resident",
  resident_link_lost: "console.call.ended_resident_gone",
});

function showWrapUp() {
  peerLost.clear();
  renderStatusTexts(state.status, t);
  callScreen.stop();
  callScreen.setNotice(null);
  $("wrapup-chat-log").replaceChildren(...chat.lines());
  $("wrapup-error").hidden = true;
  // what was typed before a reload or a crash comes back; a save that was on its way when the page died is said
  if (draft.restore()?.sending) {
    $("wrapup-error").textContent = t("console.wrapup.draft_unsent");
    $("wrapup-error").hidden = false;
  }
  showView("wrapup");
}

async function endCall() {
  const c = state.consultation;
  if (!c) return;
  const err = await callScreen.hangUp(c.id);
  if (err) banner.show(errorText(err));
  else showWrapUp();
}

async function submitWrapUp(event) {
  event.preventDefault();
  const c = state.consultation;
  if (!c) return;
  const disposition = $("wrapup-disposition").value;
  const error = $("wrapup-error");
  if (!disposition) {
    error.textContent = t("console.wrapup.need_disposition");
    error.hidden = false;
    $("wrapup-disposition").focus();
    return;
  }
  const receive = event.submitter?.id === "wrapup-submit-receive";
  const buttons = ["wrapup-submit", "wrapup-submit-receive"];
  for (const id of buttons) $(id).disabled = true;
  state.saving = true; // until the server's ack (its commit), closing the page asks first
  try {
    if (receive) await request(socket, SEND.AGENT_STATUS, { status: "available" }); // offers wait for the save
    const note = $("wrapup-note").value;
    draft.sending(true); // if the page dies before the ack, the next one says so (wrapupdraft.js)
    const ack = await request(socket, SEND.WRAPUP_SUBMIT, { consultation_id: c.id, disposition, note });
    draft.clear();
    finishConsultation();
    banner.show(t("console.wrapup.saved") + (ack.masked ? " " + t("console.masked_note") : ""));
  } catch (err) {
    draft.sending(false);
    error.textContent = errorText(err);
    error.hidden = false;
  } finally {
    state.saving = false;
    for (const id of buttons) $(id).disabled = false;
  }
}

// A save sent but not yet acknowledged is lost if the page closes now (the socket goes with it): ask first.
window.addEventListener("beforeunload", (event) => {
  if (state.saving) event.preventDefault();
});

function finishConsultation() {
  draft.clear(); // saved, or no longer this agent's case (closed elsewhere): its draft is done with
  peerLost.clear();
  transferForm.close();
  callScreen.stop();
  state.consultation = null;
  callScreen.forgetSignals();
  chat.clear();
  $("wrapup-chat-log").replaceChildren();
  $("wrapup-form").reset();
  $("wrapup-error").hidden = true;
  renderCallDetails();
  showView("idle");
}

// ------------------------------------------------------------------------------------------ agent.state

function applyAgentState(message) {
  // agent.state comes first on every connection (before "connect" fires), then on every change.
  const reconnected = state.stateSocketId !== null && state.stateSocketId !== socket.id;
  state.stateSocketId = socket.id;
  if (message.agent_id) state.agentId = message.agent_id;
  if (!state.draftsChecked && state.agentId) checkLeftDrafts(message.consultation);
  if ("chosen" in message) state.chosen = message.chosen;
  if (message.status) setStatus(activityOf(message));
  const view = message.consultation;
  if (view) {
    const id = view.consultation_id || view.id;
    beginConsultation({ ...view, id });
    for (const line of view.chat || []) chat.receive(line, id);
    if (view.state === "active") {
      const reloaded = !state.consultation?.shown; // this page has not shown this call yet: it was reloaded
      state.consultation.shown = true;
      if (view.call) callScreen.start(view.call, { reconnected }); // the same call, its media renegotiated
      else showView("call");
      // after a reload, say what is going on rather than only 「つないでいます」: the case is in the heading, the
      // resident's screen gone or there (peerlost.js), and that the picture is being joined again
      peerLost.update(view.resident_away_s == null, Number(view.resident_away_s) || 0);
      renderStatusTexts(state.status, t);
      if (reloaded && view.call && callScreen.noticeKey === "media.connecting") {
        callScreen.setNotice("console.call.rejoining");
      }
    } else if (view.state === "wrap_up") {
      if (state.view !== "wrapup") showWrapUp();
    }
    return;
  }
  if (state.consultation && ["call", "wrapup"].includes(state.view)) finishConsultation();
  if (message.offer) {
    if (state.offer?.consultation_id !== message.offer.consultation_id) showOffer(message.offer);
  } else if (state.view === "offer") {
    dropOffer();
  }
}

/** A draft whose save was on its way when a page died, of a case no longer in hand: the server either stored it
 * or closed the case without it — say so once (never silently), and let it go. */
function checkLeftDrafts(inHand) {
  state.draftsChecked = true;
  const left = draft.unsettled(inHand?.consultation_id || inHand?.id || "");
  for (const id of left) draft.forget(id);
  if (left.length) banner.show(t("console.wrapup.unsettled"), { sticky: true });
}

function activityOf(message) {
  if (message.offer && !message.consultation) return "ringing";
  if (message.consultation?.state === "active") return "busy";
  if (message.consultation?.state === "wrap_up") return "wrap_up";
  return ["available", "away", "ringing", "busy", "wrap_up", "offline"].includes(message.status)
    ? message.status
    : "away";
}

async function changeStatus(status) {
  ringer.unlock(); // a click is the user gesture the browser wants before audio may play
  try {
    const ack = await request(socket, SEND.AGENT_STATUS, { status });
    if (!state.consultation && !state.offer) setStatus(ack.status || status);
    if (status === "available") banner.hide(); // the notice that an unanswered offer set them away is done
  } catch (err) {
    banner.show(errorText(err));
  }
}

// ------------------------------------------------------------------------------------------------ socket

await initI18n();
await setUpConsoleLanguage(() => banner.show(t("error.offline")));
const socket = watchConnect(io("/agent", socketOptions()));
// the agent calls an interpreter in (通訳を よぶ); the need line follows the case in hand (interpreter.js)
const interpreterCall = new InterpreterCall({ socket, consultation: () => state.consultation, me: () => state.agentId, banner });

const callScreen = new CallScreen({
  socket,
  polite: false,
  label: "console",
  banner,
  reconnectingKeys: ["console.conn.offline"],
  textOnlyNotice: "console.call.text_only", // a resident chatting from home: no camera on either side
  offersFirst: (message) => message.channel !== "booth", // a booth offers first (call.js: its pool serves only an offer)
  // the chat step tells the agent to offer a call back by phone, forced or not
  modeTexts: { chat: "media.mode.chat_staff", "forced:chat": "media.mode.chat_forced_staff" },
  show: () => showView("call"),
  onStart: (message) => {
    beginConsultation({ id: message.consultation_id, peerName: message.peer?.display_name || "" });
    state.consultation.shown = true; // this page shows the call from its start (not a reload)
    $("call-view").dataset.media = message.media === false ? "false" : "true";
    renderStatusTexts(state.status, t); // a chat without media is チャット中, not 通話中
    endConfirm.close(); // a new call starts without the last one's question
  },
});

const chat = new ChatPanel({
  socket,
  log: $("chat-log"),
  form: $("chat-form"),
  input: $("chat-input"),
  me: "agent",
  senderKeys: {
    resident: "console.chat.resident",
    agent: "console.chat.me",
  },
  consultationId: () => state.consultation?.id ?? null,
  decorate: (item, message) => labelAuthor(item, message),
  onError: (text) => banner.show(text),
  onMasked: () => banner.show(t("console.masked_note")),
});

/** A staff line another agent wrote (before a transfer) is 「前の 職員」, not 「あなた」 (chat.message's agent_id). */
function labelAuthor(item, message) {
  if (message.sender !== "agent") return;
  const mine = isOwnLine(message, state.agentId);
  const interpreter = !mine && interpreterCall.isInterpreter(message.agent_id); // one this agent called in
  item.dataset.author = mine ? "me" : interpreter ? "interpreter" : "previous";
  if (mine) return;
  item.classList.remove("mine");
  const label = item.querySelector(".chat-sender");
  const key = interpreter ? "console.interpreter.sender" : "console.transfer.sender_agent";
  label.dataset.i18n = key;
  label.textContent = t(key);
}

socket.on("connect", () => {
  state.connected = true;
  banner.hide();
  callScreen.linkUp();
  setStatus(state.status === "offline" ? "away" : state.status);
});
socket.on("disconnect", () => {
  if (state.revoked) return; // access.revoked said why
  state.connected = false;
  setStatus("offline");
  banner.show(t("console.conn.offline"), { sticky: true });
  if (state.view === "call") callScreen.linkDown();
});
// The server closes this socket right after: the login was ended (logout, password, disabled, expired).
socket.on(RECEIVE.ACCESS_REVOKED, (message) => {
  state.revoked = true;
  forgetAllDrafts(); // the login is over, however it ended (logout, expiry, disabled, password): no note stays
  state.connected = false;
  setStatus("offline");
  const key = message.reason === "account_disabled" ? "console.conn.disabled" : "console.conn.revoked";
  banner.show(t(key), { sticky: true });
  setTimeout(() => window.location.assign("/login"), 5000);
});
socket.on("connect_error", () => {
  if (socket.active) return; // network trouble; the client retries by itself
  forgetAllDrafts(); // refused: the login is over (expired while the page was away)
  state.connected = false;
  setStatus("offline");
  banner.show(t("console.conn.unauthorized"), { sticky: true });
  setTimeout(() => window.location.assign("/login"), 3000);
});

// logging out here: this computer's next agent finds no wrap-up draft (a logout elsewhere: access.revoked above)
document.querySelector(".logout-form")?.addEventListener("submit", forgetAllDrafts);
socket.on(RECEIVE.AGENT_STATE, applyAgentState);
socket.on(RECEIVE.QUEUE_SNAPSHOT, (message) => {
  queue.update(message);
  // a booked resident checked in at a kiosk: today's bookings say 受付済み now, not at the next poll
  staffBooking.noticeCheckIns(queue.items.map((item) => item.booking).filter(Boolean));
  keepOnly(new Set([...queue.items.map((item) => item.consultation_id), state.offer?.consultation_id]));
  renderOfferWaited();
  document.dispatchEvent(new CustomEvent("queue:changed")); // a case that left may be a call-back (callbacks.js)
});
socket.on(RECEIVE.OFFER, (message) => {
  if (state.consultation) return;
  showOffer(message);
  callScreen.prepare(message); // camera and connection ready while it rings
});
socket.on(RECEIVE.RINGING_OFFER, (message) => callScreen.ringing(message));
socket.on(RECEIVE.OFFER_WITHDRAWN, (message) => {
  const id = message.consultation_id;
  if (state.offer?.consultation_id !== id && state.lastOfferId !== id) return;
  state.lastOfferId = null;
  // Say what happened, and plainly when it set the agent away (they must press 受付する to get offers again).
  const key = WITHDRAWN_KEYS[message.reason] || "console.offer.withdrawn";
  const seconds = Math.round(Number(message.cooldown_s) || 0);
  let text = t(key);
  if (message.reason === "declined" && seconds > 0) text = t("console.offer.withdrawn.cooldown", { seconds });
  if (message.away) text = `${text} ${t("console.offer.withdrawn.away")}`;
  banner.show(text, { sticky: Boolean(message.away) });
  dropOffer();
});
socket.on(RECEIVE.CALL_START, (message) => callScreen.start(message));
socket.on(RECEIVE.SIGNAL, (message) => callScreen.signal(message));
socket.on(RECEIVE.CHAT_MESSAGE, (message) => chat.receive(message, state.consultation?.id));
socket.on(RECEIVE.CHAT_REDACT, (message) => {
  chat.redact(message, state.consultation?.id);
  // the pieces of the number were in the handoff summary too: the offer card and the call's summary show it masked
  if (!message.summary || typeof message.summary !== "object") return;
  if (state.offer?.consultation_id === message.consultation_id) {
    state.offer = { ...state.offer, summary: message.summary };
    renderSummary($("offer-summary"), message.summary, { alsoAsked: true });
  }
  if (state.consultation?.id === message.consultation_id) {
    state.consultation = { ...state.consultation, summary: message.summary };
    renderSummary($("call-summary"), message.summary);
  }
});
socket.on(RECEIVE.PEER_LINK, (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  // The resident's link is back: they rebuilt their connection, so we offer on a fresh one.
  callScreen.peerLink(message.connected);
  peerLost.update(message.connected);
  renderStatusTexts(state.status, t); // the badge says 中断中 while the screen is gone
  renderTimer(); // held at this moment while the screen is gone
});
socket.on(RECEIVE.CALL_END, (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  if (message.reason === "transferred") return finishConsultation(); // no wrap-up: the case went on
  if (message.reason === "revoked") banner.show(t("console.call.revoked"), { sticky: true });
  const ended = CALL_END_KEYS[message.reason];
  $("wrapup-ended").textContent = ended ? t(ended) : "";
  if (ended) banner.show(t(ended));
  if (state.view === "call") showWrapUp();
  else callScreen.stop();
});

$("status-available").addEventListener("click", () => changeStatus("available"));
$("status-away").addEventListener("click", () => changeStatus("away"));
$("offer-accept").addEventListener("click", acceptOffer);
$("offer-decline").addEventListener("click", declineOffer);
const endConfirm = new EndConfirm({ onConfirm: endCall }); // 通話を終える asks once (endconfirm.js)
const transferForm = new TransferForm({
  socket,
  consultation: () => state.consultation,
  onDone: (route) => {
    finishConsultation();
    banner.show(t("console.transfer.done", { route: routeName(route) }));
  },
});
new KbSearch(() => state.consultation?.language || "ja");
setInterval(() => state.view === "call" && renderTimer(), 1000);
$("wrapup-form").addEventListener("submit", submitWrapUp);
document.addEventListener("i18n:change", () => {
  queue.render();
  renderCallDetails();
  if (state.offer) renderOfferInterpreter(state.offer);
});
// one tick for every figure of time waited, so the queue and the ringing offer turn over together
setInterval(() => {
  if (queue.items.length) queue.render();
  if (state.view === "offer") renderOfferWaited();
}, 1000);

applyTranslations();
const staffBooking = new StaffBooking({
  consultation: () => state.consultation,
  sendToChat: (text) => chat.say(text), // 「チャットに 送る」: the booking to the resident, as a line of the agent's
  chatOpen: () => state.view === "call", // after the case ended (the resident's link lost, wrap-up) nobody reads it
}); // book for a resident, today's bookings
queue.bookingTime = (code) => staffBooking.timeOf(code); // a queued booked resident shows their time
new VideoInvite({ socket, consultation: () => state.consultation }); // a web chat becomes a video call
new InterpreterDesk({ socket, banner }); // asked to interpret another agent's call: join its chat
showView("idle");
setStatus("offline");
