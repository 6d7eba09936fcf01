// The booth kiosk: idle → route choice → waiting → call → thank-you → idle.
//
// Why it is built this way:
// - The device token arrives once in the URL fragment and is kept per booth (devicetoken.js), so a kiosk that
//   restarts opens straight into service.
// - The server is the source of truth: after any reconnect, `booth.state` decides the screen and replays the
//   chat (lines are rendered by seq, once). A dropped socket does not end the call: the screen says it is
//   reconnecting, and when the link is back the media starts over on a fresh connection (call.js resume())
//   while the resident keeps their place in line or their call; unsent chat lines go out again (outbox.js).
// - The call is the call screen shared with the console (callscreen.js); the booth is its polite side.
// - Nothing of a resident survives the return to idle: chat lines, videos, drafts, the chosen language.
// - Its parts live beside it, one job each: the waiting figures (boothwaiting.js), the free-text question
//   (boothquestion.js), the check-in pad (boothcheckin.js), the "no one can answer" panel (noanswer.js) and the
//   "closed now" notice (closednotice.js); this module holds the screens, the socket and the case.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { CheckInPad } from "./boothcheckin.js";
import { EarlyNotice } from "./boothearly.js";
import { QuestionBox } from "./boothquestion.js";
import { fitPlace, placeLabelLanguage, placeLabelsIn } from "./boothplace.js";
import { hotlineItems } from "./hotlines.js";
import { clearWaiting, renderWaiting as drawWaiting, sinceFromServer } from "./boothwaiting.js";
import { ClosedNotice } from "./closednotice.js";
import { takeToken } from "./devicetoken.js";
import { CallScreen } from "./callscreen.js";
import { SelfTest } from "./selftest.js";
import { StillWaiting } from "./boothstillwaiting.js";
import { WarmPath } from "./warmpath.js";
import { ChatPanel } from "./chat.js";
import { Csat } from "./csat.js";
import { FollowNewest } from "./followscroll.js";
import { RECEIVE, SEND } from "./events.js";
import {
  DEFAULT_LANGUAGE,
  applyTranslations,
  firstKnownKey,
  initI18n,
  language,
  setLanguage,
  t,
} from "./i18n.js";
import { timeZone } from "./clock.js";
import { formatDayAndTime } from "./dates.js";
import { weekText } from "./townhours.js";
import { InterpreterNote } from "./interpreternote.js";
import { LanguagePicker } from "./langpicker.js";
import { errorText, nowSeconds, request, socketOptions, watchConnect } from "./net.js";
import { NoAnswerPanel } from "./noanswer.js";
import { QrCheckIn } from "./qrcheckin.js";
import { readiness } from "./readiness.js";

const $ = (id) => document.getElementById(id);

const boothId = document.body.dataset.boothId;
// long enough for an 80-year-old to read it and choose among the faces (ux14: 8 s was not); 「はじめに もどる」 ends it
const THANKS_MS = Math.max(1000, Number(document.body.dataset.thanksSeconds || 60) * 1000);
const ROUTES_IDLE_MS = 90_000; // a resident who walks away from the route choice
// 「まだ お待ちですか？」 after this long untouched on the waiting screen, and its countdown (the server's settings)
const STILL_WAITING_MS = Math.max(500, Number(document.body.dataset.stillWaitingSeconds || 180) * 1000);
const STILL_WAITING_ANSWER_MS = Math.max(500, Number(document.body.dataset.stillWaitingAnswerSeconds || 60) * 1000);
const CLERK_HOLD_MS = 1000; // a press this long on the readiness pill opens the clerk's check panel
const QUEUED = new Set(["waiting", "offered", "triage"]);
const FINISHED = new Set(["wrap_up", "closed", "abandoned", "interrupted"]);
const ALREADY_OVER = new Set(["not_found", "invalid_state"]); // refusals that mean the server ended it first
// Newer catalog texts first, with the older text that says nearly the same as a fallback.
const RECONNECTING_WAITING_KEYS = ["booth.reconnecting.waiting", "error.offline"];
const RECONNECTING_CALL_KEYS = ["booth.reconnecting.call", "error.offline"];
const CONN_RECONNECTING_KEYS = ["booth.conn.reconnecting", "booth.conn.offline"];

const state = {
  screen: "idle",
  booth: null, // booth.state's name, place and place_names (the header follows the language)
  consultation: null, // {id, route, position, waitEstimate, agentsOnDuty, offered, since (epoch s), peerName, talked}
  thanksTimer: null,
  thankedId: null, // the case the thank-you is for: its wrap-up may still say what happens next
  routesTimer: null,
  requesting: false,
  fatal: false,
  languageChosen: false, // this resident picked a language on the kiosk (a booking's own language then yields to it)
  stateSocketId: null, // the socket connection whose booth.state was applied last
  check: null, // the last self-test's verdict (readiness.js): the header line agrees with the clerk's line
  checkFailed: [], // what it found not working ("network" alone: the link to the office, said as such)
  early: new Map(), // event name → the last message for a consultation not adopted yet (it beat the request's ack)
  callbackTaken: null, // the call-back just asked for ({requested_at, phone_end}, the server's ack): the thanks says it
};
const banner = new Banner($("banner"));
const noAnswer = new NoAnswerPanel($("no-answer"), {
  send: async (phone) => {
    const ack = await request(socket, SEND.CALLBACK_REQUEST, { consultation_id: state.consultation?.id, phone });
    state.callbackTaken = ack.callback ?? null;
    renderThanksBody(); // consultation.closed may have come before this ack
    return ack;
  },
  onError: (err) => banner.show(errorText(err)),
});
// a resident who walked away from the waiting or "no one can answer" screen (ux13): asked, then the line left
const stillWaiting = new StillWaiting({
  boothId,
  afterMs: STILL_WAITING_MS,
  answerMs: STILL_WAITING_ANSWER_MS,
  askable: () => state.screen === "waiting" && !state.consultation?.offered, // not while a console rings
  leave: leaveWaiting,
});

// ---------------------------------------------------------------------------------------------- screens

function showScreen(name) {
  if (state.fatal && name !== "error") return; // a revoked or refused device shows only why it cannot be used
  if (name !== state.screen) closeCheckPanel(); // the clerk's panel does not stay over a resident's next screen
  state.screen = name;
  if (name !== "call") $("hangup-confirm").hidden = true;
  if (name !== "waiting") $("cancel-confirm").hidden = true;
  document.body.dataset.screen = name;
  for (const section of document.querySelectorAll("section[data-screen]")) {
    section.hidden = section.dataset.screen !== name;
  }
  clearTimeout(state.routesTimer);
  if (name === "waiting" && state.consultation) stillWaiting.watch(state.consultation.id);
  else if (name === "call") stillWaiting.forget(); // someone answered: a later wait starts its own count
  else stillWaiting.stop();
  if (name === "routes") state.routesTimer = setTimeout(() => state.screen === "routes" && resetToIdle(), ROUTES_IDLE_MS);
  if (name === "checkin") state.routesTimer = setTimeout(() => state.screen === "checkin" && resetToIdle(), ROUTES_IDLE_MS);
  renderWaiting();
  keepPathWarm();
}

/** While a resident waits and no call is being prepared, the TURN allocation is made already (warmpath.js). */
function keepPathWarm() {
  warmPath.keep(state.screen === "waiting" && !callScreen.call && socket.connected);
}

function showFatal(key) {
  state.fatal = true;
  $("error-text").dataset.i18n = key;
  $("error-text").textContent = t(key);
  showScreen("error");
}

/** The header's line: the connection, then the last self-test (readiness.js), so it never says two things. */
function renderReadiness() {
  const indicator = document.querySelector('[data-testid="connection-status"]');
  const status = indicator.dataset.state;
  const reconnecting = status === "offline" && socket.active;
  const offlineKey = reconnecting ? firstKnownKey(...CONN_RECONNECTING_KEYS) : "booth.conn.offline";
  const { key, tone, network } = readiness(status, state.check, offlineKey, state.checkFailed);
  indicator.dataset.check = state.check || "";
  indicator.dataset.tone = tone;
  $("conn-text").dataset.i18n = key;
  $("conn-text").textContent = t(key);
  // 「準備が できていません」 while the office can be reached: starting still works, its written chat too, so the
  // resident is told that under the start button instead of meeting a call without picture or sound (tidy13)
  $("idle-limited").hidden = !(status === "ready" && state.check === "fail") || network;
  // the link to the office is what fails (the socket retrying, or the self-test's network part): said in plain
  // words, with that the kiosk keeps trying (tidy14: it said 「準備が できていません」)
  $("idle-network").hidden = !network;
}

/** The check panel (the clerk's, opened by a long press on the readiness pill): the self-test's words, and a way to
 * run it again. */
function openCheckPanel() {
  selfTest.offerRerun();
  $("check-panel").hidden = false;
  $("connection-status").setAttribute("aria-expanded", "true");
  $("check-close").focus();
}

function closeCheckPanel() {
  if ($("check-panel").hidden) return;
  $("check-panel").hidden = true;
  $("connection-status").setAttribute("aria-expanded", "false");
}

function setConnection(status) {
  document.querySelector('[data-testid="connection-status"]').dataset.state = status;
  const reconnecting = status === "offline" && socket.active;
  renderReadiness();
  $("start").disabled = status !== "ready";
  $("checkin-start").disabled = status !== "ready";
  document.body.dataset.reconnecting = String(reconnecting && ["waiting", "call"].includes(state.screen));
  if (status === "offline" && state.screen === "waiting") {
    // Plain words: the link is being restored and the resident keeps their place in line.
    banner.show(t(firstKnownKey(...RECONNECTING_WAITING_KEYS)), { sticky: true });
  } else if (status === "offline" && state.screen === "call") {
    banner.hide(); // the notice on the video says it where the resident is looking
    callScreen.linkDown();
  } else if (status === "offline" && state.screen === "routes") {
    banner.show(t("error.offline"), { sticky: true });
  } else if (status === "ready") {
    banner.hide();
  }
}

// ------------------------------------------------------------------------------------------------ waiting

function renderWaiting() {
  renderUrgent();
  if (!state.consultation) return;
  // an early booked resident: their notice says it all, without the phone and call-back panel (boothearly.js)
  noAnswer.quiet = early.active;
  noAnswer.render(Boolean(state.consultation.offered));
  const nobody = noAnswer.current(Boolean(state.consultation.offered)) !== null;
  early.render(nobody);
  $("cancel-waiting").hidden = early.active && nobody; // its 「いったん やめる」 is the one way out, not two
  drawWaiting(state.consultation, { noAnswer: nobody });
}

/** An urgent case (its words, or はい to the danger question): 110, 119 and the hotlines stay on the waiting screen
 * from the start, above the figures, also when nobody can answer (the panel under them names only the town). */
function renderUrgent() {
  const urgent = Boolean(state.consultation?.urgent);
  $("booth-urgent").hidden = !urgent;
  const drawn = urgent ? `${state.consultation.id} ${language()}` : ""; // drawn again for another case or language
  if ($("booth-hotlines").dataset.drawn === drawn) return;
  $("booth-hotlines").dataset.drawn = drawn;
  $("booth-hotlines").replaceChildren(...(urgent ? hotlineItems(state.consultation.hotlines || []) : []));
}

function adoptConsultation(fields) {
  const previous = state.consultation && state.consultation.id === fields.id ? state.consultation : {};
  state.consultation = { since: nowSeconds(), offered: false, ...previous, ...fields };
  callScreen.keepSignalsOf(fields.id);
}

// ------------------------------------------------------------------------------------- ending and wiping

/** The thank-you's line: after a call-back request, when it was taken and the number's last four digits, as the
 * chat's confirmation says them (an 80-year-old checks it is their number); otherwise the plain thanks. */
function renderThanksBody() {
  const body = $("thanks-body");
  const taken = body.dataset.callback === "true" ? state.callbackTaken : null;
  if (taken && taken.phone_end) {
    delete body.dataset.i18n; // the words carry the time and the digits: re-rendered on i18n:change below
    // the day in words, in the resident's language: 「12/7」 reads as 7 December in Japan and 12 July in Brazil
    const when = formatDayAndTime(new Date(taken.requested_at * 1000), { timeZone: timeZone() });
    const said = t("resident.callback.standing", { when, digits: taken.phone_end });
    // and when the town calls: in its opening hours (a number left at 18:30 is not called tonight)
    const weekly = noAnswer.hours?.weekly;
    body.textContent = weekly ? `${said}\n${t("booth.thanks.callback_when", { week: weekText(weekly) })}` : said;
  } else {
    body.dataset.i18n = body.dataset.callback === "true" ? "booth.thanks.callback" : "booth.thanks.body";
    body.textContent = t(body.dataset.i18n);
  }
}

/** `rate`: the server's word (consultation.closed's ask_satisfaction) whether to ask how it went; when the thanks
 * comes from the page itself (its own hang-up's ack came first), whether the resident talked to someone. */
function showThanks(reason = null, rate = undefined) {
  if (state.fatal) return resetToIdle(); // e.g. the call ended because this device was revoked: wipe, keep saying why
  // Already thanked: the resident's own hang-up is answered twice (consultation.closed, then the request's ack),
  // and the second time there is no case left; asking again would hide the question just shown.
  if (state.screen === "thanks" && !state.consultation) return;
  const callback = reason === "callback"; // no call took place: say what happens next, ask nothing
  $("thanks-body").dataset.callback = String(callback);
  renderThanksBody();
  // Asked after a call, whoever ended it; not when the resident never talked to anyone (nothing to rate).
  const ask = typeof rate === "boolean" ? rate : Boolean(state.consultation?.talked);
  csat.ask(callback || !ask ? null : state.consultation.id); // the thanks screen's own timer returns to idle
  callScreen.stop();
  if (state.consultation) stillWaiting.cleared(state.consultation.id); // the case is over
  state.thankedId = state.consultation?.id ?? null;
  showNextStep(null);
  state.consultation = null;
  chat.clear();
  showScreen("thanks");
  clearTimeout(state.thanksTimer);
  state.thanksTimer = setTimeout(resetToIdle, THANKS_MS);
}

/** The agent's wrap-up says what happens next (consultation.next_step): a plain line under the thanks; null hides it. */
function showNextStep(disposition) {
  const line = $("thanks-next");
  line.hidden = !disposition;
  if (!disposition) {
    delete line.dataset.i18n;
    line.textContent = "";
    return;
  }
  line.dataset.i18n = `booth.thanks.next.${disposition}`;
  line.textContent = t(line.dataset.i18n);
}

/** Back to idle with nothing of the resident left on screen or in memory. */
function resetToIdle() {
  clearTimeout(state.thanksTimer);
  state.thankedId = null;
  showNextStep(null);
  csat.reset();
  noAnswer.reset();
  early.clear();
  callScreen.stop();
  stillWaiting.forget(); // a case left here keeps its mark until its cancel is heard
  state.consultation = null;
  callScreen.forgetSignals();
  state.requesting = false;
  chat.clear();
  banner.hide();
  callScreen.setNotice(null);
  $("peer-name").textContent = "";
  clearWaiting();
  for (const button of document.querySelectorAll(".route-button")) button.disabled = false;
  checkin.set("");
  state.languageChosen = false;
  state.callbackTaken = null;
  $("thanks-body").dataset.callback = "false";
  question.clear(); // the typed question and the bot's answer go with the resident
  if (state.fatal) return;
  showScreen("idle");
  // the next resident starts in the booth's own language (Japanese), with the picker closed
  picker.close();
  if (language() !== initialLanguage) setLanguage(initialLanguage).catch(() => {});
}

/** What the server says the booth is doing; decides the screen after a (re)connect. */
function restore(view, { reconnected = false } = {}) {
  const id = view && (view.consultation_id || view.id);
  const phase = view && view.state;
  if (!view || !id || FINISHED.has(phase)) {
    if (reconnected && state.consultation && ["waiting", "call"].includes(state.screen)) resumeLostCase();
    else if (["waiting", "call"].includes(state.screen)) showThanks();
    return;
  }
  if (QUEUED.has(phase) && stillWaiting.wasLeft(id)) {
    leaveWaiting(id); // asked, and nobody stayed: its cancel again, never the stranger's case on screen
    return;
  }
  // A (re)loaded page finds a case waiting: shown (the resident may be right there after a restart), and asked
  // about at once unless this kiosk knows when it was last touched; a live call resumes as before.
  if (QUEUED.has(phase) && !reconnected && state.consultation?.id !== id) stillWaiting.resumed(id);
  clearTimeout(state.thanksTimer);
  const since = sinceFromServer(view);
  adoptConsultation({
    id,
    route: view.route,
    ...(since ? { since } : {}),
    ...(view.position !== undefined ? { position: view.position } : {}),
    ...(view.wait_estimate_s !== undefined ? { waitEstimate: view.wait_estimate_s } : {}),
    ...(QUEUED.has(phase) ? { lost: Boolean(view.call_lost) } : {}), // the call was cut: said after a reload too
    ...(QUEUED.has(phase) ? { transferred: Boolean(view.transferred) && !view.call_lost } : {}), // and a transfer
    ...(QUEUED.has(phase) ? { moved: Boolean(view.moved) } : {}), // or a supervisor's move to another desk
    // an urgent case keeps 110/119 on screen after a reload too (the town's hotlines came with the request's ack)
    ...(QUEUED.has(phase) ? { urgent: view.urgent === true } : {}),
    offered: phase === "offered",
  });
  noAnswer.update(view);
  if (QUEUED.has(phase)) {
    if (callScreen.call) callScreen.stop();
    showScreen("waiting");
  } else if (phase === "active") {
    if (view.call) callScreen.start(view.call, { reconnected }); // the same call, its media renegotiated
    else showScreen("call");
    for (const line of view.chat || []) chat.receive(line, id); // fills whatever the link dropped, once
  }
}

/**
 * Back on line, the case is gone: the server ended it while this booth was away past the grace period (ux15 item 1:
 * the resident was thanked and sent home, the line they typed lost). A cut call, as when the agent's link drops:
 * 「通信が 切れました。もう一度 おつなぎします」 and back in line ahead of walk-ins (`resume`); a resident who was
 * waiting gets their own place and time waited back, or the head of the line if their turn came meanwhile (session
 * 16), for `MADOGUCHI_BOOTH_RESUME_WINDOW_S` after the loss, whether or not the agent finished the wrap-up. The lines
 * typed while cut go with the new case as its question, for the agent who answers. A case that ended otherwise (the
 * agent hung up meanwhile, or the window passed: `not_resumable`) is thanked as before.
 */
async function resumeLostCase() {
  const lost = state.consultation;
  const unsent = chat.outbox.pending.map((item) => item.payload.text).filter((text) => typeof text === "string");
  callScreen.stop();
  chat.clear();
  state.consultation = null;
  state.requesting = true;
  try {
    const payload = { route: lost.route, language: language(), resume: lost.id };
    if (unsent.length) payload.question = unsent.join("\n").slice(0, 1000);
    const ack = await request(socket, SEND.CONSULTATION_REQUEST, payload);
    // `resumed`: "call" (the call was cut: said so while it waits again), "place" (it was waiting: its own place
    // back, its time waited too) or "passed" (its turn came meanwhile: the head of the line); an older server: a call
    const cut = (ack.resumed ?? "call") === "call";
    adoptConsultation({
      id: ack.consultation_id,
      route: lost.route,
      position: ack.position,
      waitEstimate: ack.wait_estimate_s ?? null,
      since: sinceFromServer(ack) ?? (cut ? nowSeconds() : lost.since),
      lost: cut,
      resumed: cut,
    });
    replayEarly(ack.consultation_id);
    showScreen("waiting");
  } catch (err) {
    console.warn("booth: the lost case was not taken up again", err.code || err);
    state.consultation = lost;
    showThanks();
  } finally {
    state.requesting = false;
  }
}

// ---------------------------------------------------------------------------------------------- actions

/** ``safety``: the free-text question went urgent (its preview) or the resident answered はい to the danger question
 * ({answer: "yes"}): the case goes ahead of the line, and 110/119 with the hotlines stay on the waiting screen. */
async function requestConsultation(route, question = null, safety = null) {
  if (state.requesting) return;
  state.requesting = true;
  const buttons = document.querySelectorAll(".route-button, .question-suggestion, .question-talk");
  for (const button of buttons) button.disabled = true;
  try {
    const payload = { route, language: language() };
    if (question) payload.question = question; // the summary the agent reads comes from these words
    if (question && safety?.answer) payload.safety_answer = safety.answer;
    const ack = await request(socket, SEND.CONSULTATION_REQUEST, payload);
    const urgent = ack.urgent === true;
    adoptConsultation({
      id: ack.consultation_id,
      route,
      position: ack.position,
      waitEstimate: ack.wait_estimate_s ?? null,
      since: nowSeconds(),
      urgent,
      hotlines: urgent ? (Array.isArray(ack.hotlines) && ack.hotlines.length ? ack.hotlines : safety?.hotlines || []) : [],
    });
    replayEarly(ack.consultation_id);
    if (state.screen === "routes") showScreen("waiting");
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    state.requesting = false;
    for (const button of buttons) button.disabled = false;
  }
}

/**
 * The server tells the line (with "no one can answer") and the ringing console as soon as the case exists, which
 * can be before the request's ack: those messages were kept (state.early) and count now.
 */
function replayEarly(consultationId) {
  for (const [event, message] of state.early) if (message.consultation_id === consultationId) EARLY[event](message);
  state.early.clear();
}

/** A booked resident checked in (boothcheckin.js): they wait like anyone, ahead of walk-ins in their window. */
function checkedIn(ack) {
  early.set(ack.booking);
  adoptConsultation({
    id: ack.consultation_id,
    route: ack.booking.route,
    position: ack.position,
    waitEstimate: ack.wait_estimate_s ?? null,
    since: nowSeconds(),
  });
  // Like a walk-in: what came before the ack (the place in line, "no one can answer") is not lost.
  replayEarly(ack.consultation_id);
  if (state.screen === "checkin") showScreen("waiting");
}

/** 「やめる」 asks once: a large yes / no, so one stray touch does not give up the place in line. */
function askCancel() {
  if (!state.consultation) return resetToIdle();
  $("cancel-confirm").hidden = false;
  $("cancel-no").focus();
}

async function cancelWaiting() {
  $("cancel-confirm").hidden = true;
  const c = state.consultation;
  if (!c) return resetToIdle();
  $("cancel-waiting").disabled = true;
  try {
    await request(socket, SEND.CONSULTATION_CANCEL, { consultation_id: c.id });
    resetToIdle();
  } catch (err) {
    if (ALREADY_OVER.has(err.code)) resetToIdle();
    else banner.show(errorText(err));
  } finally {
    $("cancel-waiting").disabled = false;
  }
}

/** The resident left (「まだ お待ちですか？」 answered いいえ, or not at all): back to idle at once, and the case
 * cancelled as by their own 「やめる」 (recorded as the resident leaving). Until the cancel is heard, the mark kept by
 * stillWaiting makes the next booth.state (a reconnect, a reload) cancel it again. */
async function leaveWaiting(id) {
  if (state.consultation?.id === id) resetToIdle();
  try {
    await request(socket, SEND.CONSULTATION_CANCEL, { consultation_id: id });
    stillWaiting.cleared(id);
  } catch (err) {
    if (ALREADY_OVER.has(err.code)) stillWaiting.cleared(id);
    else console.warn("booth: the line not left yet", err.code || err);
  }
}

/** 「電話を切る」 asks once: a large yes / no, so one stray touch does not end the call. */
function askHangUp() {
  $("hangup-confirm").hidden = false;
  $("hangup-no").focus();
}

function closeHangUp() {
  $("hangup-confirm").hidden = true;
}

async function endCall() {
  closeHangUp();
  const c = state.consultation;
  if (!c) return showThanks();
  const err = await callScreen.hangUp(c.id);
  if (err && !ALREADY_OVER.has(err.code)) banner.show(errorText(err));
  else showThanks();
}

// ------------------------------------------------------------------------------------------------ startup

await initI18n();
const initialLanguage = language() || DEFAULT_LANGUAGE;
const picker = new LanguagePicker({
  onChange: () => (state.languageChosen = true),
  onError: (err) => console.error(err),
});

const token = takeToken(boothId);
const socket = watchConnect(io("/booth", socketOptions({ auth: { token: token || "" }, autoConnect: false })));

const warmPath = new WarmPath({ socket });
const callScreen = new CallScreen({
  socket,
  polite: true,
  takeWarm: () => warmPath.take(),
  offersFirst: () => true, // its candidate pool (the slow TURN allocation on an island) serves only an offer
  label: "booth",
  banner,
  reconnectingKeys: RECONNECTING_CALL_KEYS,
  peerLostKey: "booth.call.peer_lost", // what happens now, and that the place is kept (ux16)
  show: () => showScreen("call"),
  onStart: (message) => {
    adoptConsultation({
      id: message.consultation_id,
      peerName: message.peer?.display_name || "",
      talked: true,
      lost: false,
      transferred: false,
    });
    const name = state.consultation.peerName;
    $("peer-name").textContent = name ? t("booth.call.with", { name }) : "";
  },
});

const csat = new Csat({ socket, root: $("csat") });
$("thanks-restart").addEventListener("click", () => state.screen === "thanks" && resetToIdle());
const closedNotice = new ClosedNotice($("closed-now"), socket); // outside the opening hours, said at idle
const question = new QuestionBox({
  socket,
  banner,
  busy: () => state.requesting,
  choose: requestConsultation,
  finish: () => resetToIdle(),
});
// an early booked resident's notice; 「いったん やめる」 gives the wait up at once (the booking is booked again)
const early = new EarlyNotice({ leave: () => cancelWaiting() });
const checkin = new CheckInPad({
  socket,
  banner,
  lock: {
    begin: () => !state.requesting && (state.requesting = true),
    end: () => (state.requesting = false),
  },
  checkedIn,
  languageChosen: () => state.languageChosen,
});

// the newest line stays in view also when the log's box changes (the call screen appears, a notice takes room)
const followChat = new FollowNewest($("chat-log"));
const chat = new ChatPanel({
  socket,
  log: $("chat-log"),
  scroll: () => followChat.toNewest(),
  form: $("chat-form"),
  input: $("chat-input"),
  me: "resident",
  senderKeys: {
    resident: "booth.chat.me",
    agent: "booth.chat.agent",
  },
  consultationId: () => state.consultation?.id ?? null,
  onError: (text) => banner.show(text),
});

// The clerk's check of camera, microphone, speaker and network (selftest.js): on start, then every few hours idle.
const selfTest = new SelfTest({
  socket,
  element: $("self-test-status"),
  details: $("self-test-details"),
  rerun: $("check-rerun"),
  later: $("check-later"),
  idle: () => state.screen === "idle",
  onResult: (verdict, failed) => {
    state.check = verdict;
    state.checkFailed = failed;
    renderReadiness();
  },
});

socket.on("connect", () => {
  setConnection("ready");
  closedNotice.start();
  if (state.screen === "call") callScreen.linkUp();
  if (selfTest.due() || selfTest.networkFailed()) selfTest.run(); // the link is back: see whether the path is too
});
// the browser knows the network went before the socket does (its pings run out after seconds): say it at once
window.addEventListener("offline", () => socket.connected && setConnection("offline"));
window.addEventListener("online", () => {
  if (!socket.connected) return;
  setConnection("ready");
  if (state.screen === "call") callScreen.linkUp();
});
let revoked = false;
socket.on("disconnect", (reason) => {
  closedNotice.stop();
  if (revoked) return;
  setConnection("offline");
  if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000); // e.g. server restart
});
// This device's access was taken away (revoked, or given a new token); the server closes the socket next.
socket.on(RECEIVE.ACCESS_REVOKED, () => {
  revoked = true;
  setConnection("unauthorized");
  callScreen.stop();
  showFatal("booth.error.revoked");
});
socket.on("connect_error", (err) => {
  if (socket.active) {
    setConnection("offline"); // network trouble: the client retries by itself
    return;
  }
  setConnection("unauthorized"); // the server refused this device's token
  callScreen.stop();
  showFatal("booth.error.unauthorized");
  console.warn("booth: connection refused", err.data?.code || err.message);
});

socket.on(RECEIVE.BOOTH_STATE, (message) => {
  if (message.booth_id && message.booth_id !== boothId) {
    socket.disconnect();
    setConnection("unauthorized");
    showFatal("booth.error.wrong_booth");
    return;
  }
  state.booth = message;
  renderPlace();
  // booth.state comes once per connection, before "connect" fires; a second one means the link came back.
  const reconnected = state.stateSocketId !== null && state.stateSocketId !== socket.id;
  state.stateSocketId = socket.id;
  restore(message.consultation, { reconnected });
});

/** The booth's place in the header, in the page's language (boothplace.js). */
let placeWidth = 0; // the name's width when it was last fitted
function renderPlace() {
  if (!state.booth) return;
  const el = $("booth-place");
  el.lang = placeLabelLanguage(state.booth, language()); // a Japanese name breaks between its phrases on any page
  fitPlace(el, placeLabelsIn(state.booth, language())); // whole: two lines, smaller, or the name alone
  placeWidth = el.clientWidth;
}
// the room beside the name changes with the readiness line, a language's button words, the kiosk turning: fit again
// (only when its width moved: the fitting itself changes its height, not its width)
new ResizeObserver(() => {
  if (Math.abs($("booth-place").clientWidth - placeWidth) > 1) renderPlace();
}).observe($("booth-place"));

function onQueuePosition(message) {
  const c = state.consultation;
  if (!c || c.id !== message.consultation_id) {
    if (state.requesting) state.early.set(RECEIVE.QUEUE_POSITION, message);
    return;
  }
  adoptConsultation({
    id: c.id,
    position: message.position,
    waitEstimate: message.wait_estimate_s ?? null,
    agentsOnDuty: message.agents_on_duty,
    offered: Boolean(message.ringing),
    // a case taken up again after this booth's own link was lost (resumeLostCase) keeps saying so while it waits
    ...(message.call_lost !== undefined ? { lost: Boolean(message.call_lost) || Boolean(c.resumed) } : {}),
    // a new desk (the server's flag lasts until the call that answered the transfer ends); a cut call is not "the right desk"
    ...(message.route
      ? {
          route: message.route,
          transferred: Boolean(message.transferred) && !message.call_lost && !c.lost,
          moved: Boolean(message.moved),
        }
      : {}),
    ...(sinceFromServer(message) !== undefined ? { since: sinceFromServer(message) } : {}),
  });
  noAnswer.update(message);
  // Back in line (the agent's link was lost, or a transfer): a call that is only being prepared for the next
  // ringing console does not keep the resident on the call screen.
  if (state.screen === "call" && !callScreen.live) showScreen("waiting");
  else if (state.screen === "routes") showScreen("waiting");
  else renderWaiting();
}

function onCallComing(message) {
  const c = state.consultation;
  if (!c || c.id !== message.consultation_id) {
    if (state.requesting) state.early.set(RECEIVE.CALL_COMING, message);
    return;
  }
  c.offered = Boolean(message.ringing); // an agent's console is ringing with this resident's case
  if (c.offered) callScreen.prepare(message); // camera and connection ready before the agent answers
  else callScreen.unprepare(message.consultation_id);
  renderWaiting();
  keepPathWarm(); // a ringing that stopped closed the connection it had taken over
}

const EARLY = { [RECEIVE.QUEUE_POSITION]: onQueuePosition, [RECEIVE.CALL_COMING]: onCallComing };
socket.on(RECEIVE.QUEUE_POSITION, onQueuePosition);
socket.on(RECEIVE.CALL_COMING, onCallComing);

socket.on(RECEIVE.CALL_START, (message) => callScreen.start(message));

socket.on(RECEIVE.SIGNAL, (message) => callScreen.signal(message));

socket.on(RECEIVE.CHAT_MESSAGE, (message) => chat.receive(message, state.consultation?.id));
socket.on(RECEIVE.CHAT_REDACT, (message) => chat.redact(message, state.consultation?.id));
new InterpreterNote({ socket, consultation: () => state.consultation }); // 通訳の 人を よんでいます / 入りました

socket.on(RECEIVE.PEER_LINK, (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  // The agent's link is back: the agent offers on a fresh connection and call.js takes it.
  callScreen.peerLink(message.connected);
});

// Why the call ended, for the waiting screen that follows (queue.position brings the place and the wait).
const BACK_IN_LINE = Object.freeze({
  agent_link_lost: { lost: true, transferred: false },
  transferred: { lost: false, transferred: true },
});

socket.on(RECEIVE.CALL_END, (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  callScreen.stop();
  const back = BACK_IN_LINE[message.reason];
  if (back) adoptConsultation({ id: message.consultation_id, ...back, offered: false });
});

socket.on(RECEIVE.CONSULTATION_NEXT_STEP, (message) => {
  if (state.screen !== "thanks" || message.consultation_id !== state.thankedId) return;
  if (["follow_up", "booked", "referred"].includes(message.disposition)) showNextStep(message.disposition);
});

socket.on(RECEIVE.CONSULTATION_CLOSED, (message) => {
  if (!state.consultation || message.consultation_id !== state.consultation.id) return;
  showThanks(message.reason, message.ask_satisfaction === true);
});

$("start").addEventListener("click", () => {
  banner.hide();
  question.clear();
  showScreen("routes");
});
$("routes-back").addEventListener("click", resetToIdle);
$("checkin-start").addEventListener("click", () => {
  banner.hide();
  checkin.set("");
  showScreen("checkin");
});
$("checkin-back").addEventListener("click", resetToIdle);
for (const button of document.querySelectorAll(".route-button")) {
  button.addEventListener("click", () => requestConsultation(button.dataset.route));
}
$("cancel-waiting").addEventListener("click", askCancel);
$("cancel-yes").addEventListener("click", cancelWaiting);
$("cancel-no").addEventListener("click", () => {
  $("cancel-confirm").hidden = true;
});
$("end-call").addEventListener("click", askHangUp);
$("hangup-yes").addEventListener("click", endCall);
$("hangup-no").addEventListener("click", closeHangUp);
$("error-retry").addEventListener("click", () => window.location.reload());
// The clerk's way into the check panel: a long press on the pill (CLERK_HOLD_MS), or the keyboard; a resident's tap
// opens nothing (ux13: residents tap whatever is big, and the panel is the clerk's jargon).
let clerkHold = null;
$("connection-status").addEventListener("pointerdown", () => {
  clearTimeout(clerkHold);
  clerkHold = setTimeout(openCheckPanel, CLERK_HOLD_MS);
});
for (const name of ["pointerup", "pointerleave", "pointercancel"]) {
  $("connection-status").addEventListener(name, () => clearTimeout(clerkHold));
}
$("connection-status").addEventListener("click", (event) => event.detail === 0 && openCheckPanel()); // Enter, Space
$("check-close").addEventListener("click", closeCheckPanel);
$("check-panel").addEventListener("click", (event) => event.target === $("check-panel") && closeCheckPanel());
document.addEventListener("keydown", (event) => event.key === "Escape" && closeCheckPanel());
document.addEventListener("i18n:change", () => {
  renderWaiting();
  if (state.screen === "thanks") renderThanksBody();
  selfTest.relabel();
  setConnection(document.querySelector('[data-testid="connection-status"]').dataset.state);
  renderPlace(); // last: the header's other words (readiness, buttons) have their new widths
});
document.addEventListener("contextmenu", (event) => event.preventDefault());
setInterval(() => {
  if (state.screen !== "waiting") return;
  renderWaiting();
  keepPathWarm(); // e.g. the link came back, or the agent's link was lost and the call went back in line
}, 1000);

applyTranslations();
new QrCheckIn(); // check-in by the booking page's QR code held to the camera
showScreen("idle");
if (!token) {
  setConnection("unauthorized");
  showFatal("booth.error.no_token");
} else {
  socket.connect();
}
