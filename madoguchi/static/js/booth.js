// The booth kiosk: idle → route choice → waiting → call → thank-you → idle.
//
// Why it is built this way:
// - The device token arrives once in the URL fragment (#token=..., never sent to the server in a request
//   line or a Referer), is kept in localStorage per booth and removed from the address bar, so a kiosk that
//   restarts opens straight into service.
// - The server is the source of truth: after any reconnect, `booth.state` decides the screen and replays the
//   chat (lines are rendered by seq, once). A dropped socket does not end the call: the screen says it is
//   reconnecting, and when the link is back the media starts over on a fresh connection (call.js resume())
//   while the resident keeps their place in line or their call; unsent chat lines go out again (outbox.js).
// - The call is the call screen shared with the console (callscreen.js); the booth is its polite side.
// - Nothing of a resident survives the return to idle: chat lines, videos, drafts, the chosen language.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { CallScreen } from "./callscreen.js";
import { SelfTest } from "./selftest.js";
import { ChatPanel } from "./chat.js";
import { Csat } from "./csat.js";
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
import { LanguagePicker } from "./langpicker.js";
import { errorText, nowSeconds, request } from "./net.js";
import { NoAnswerPanel } from "./noanswer.js";
import { QrCheckIn } from "./qrcheckin.js";

const $ = (id) => document.getElementById(id);

const boothId = document.body.dataset.boothId;
const THANKS_MS = Math.max(1000, Number(document.body.dataset.thanksSeconds || 8) * 1000);
const ROUTES_IDLE_MS = 90_000; // a resident who walks away from the route choice
const TOKEN_KEY = `madoguchi.booth.${boothId}.token`;
const QUEUED = new Set(["waiting", "offered", "triage"]);
const FINISHED = new Set(["wrap_up", "closed", "abandoned", "interrupted"]);
const ALREADY_OVER = new Set(["not_found", "invalid_state"]); // refusals that mean the server ended it first
// Newer catalog texts first, with the older text that says nearly the same as a fallback.
const RECONNECTING_WAITING_KEYS = ["booth.reconnecting.waiting", "error.offline"];
const RECONNECTING_CALL_KEYS = ["booth.reconnecting.call", "error.offline"];
const CONN_RECONNECTING_KEYS = ["booth.conn.reconnecting", "booth.conn.offline"];

const state = {
  screen: "idle",
  consultation: null, // {id, route, position, waitEstimate, agentsOnDuty, offered, since (epoch s), peerName}
  thanksTimer: null,
  routesTimer: null,
  requesting: false,
  checkinCode: "",
  fatal: false,
  stateSocketId: null, // the socket connection whose booth.state was applied last
  early: new Map(), // event name → the last message for a consultation not adopted yet (it beat the request's ack)
};
const banner = new Banner($("banner"));
const noAnswer = new NoAnswerPanel($("no-answer"), {
  send: (phone) => request(socket, SEND.CALLBACK_REQUEST, { consultation_id: state.consultation?.id, phone }),
  onError: (err) => banner.show(errorText(err)),
});

// ---------------------------------------------------------------------------------------------- screens

function showScreen(name) {
  if (state.fatal && name !== "error") return; // a revoked or refused device shows only why it cannot be used
  state.screen = name;
  if (name !== "call") $("hangup-confirm").hidden = true;
  document.body.dataset.screen = name;
  for (const section of document.querySelectorAll("section[data-screen]")) {
    section.hidden = section.dataset.screen !== name;
  }
  clearTimeout(state.routesTimer);
  if (name === "routes") state.routesTimer = setTimeout(() => state.screen === "routes" && resetToIdle(), ROUTES_IDLE_MS);
  if (name === "checkin") state.routesTimer = setTimeout(() => state.screen === "checkin" && resetToIdle(), ROUTES_IDLE_MS);
  renderWaiting();
}

function showFatal(key) {
  state.fatal = true;
  $("error-text").dataset.i18n = key;
  $("error-text").textContent = t(key);
  showScreen("error");
}

function setConnection(status) {
  const indicator = document.querySelector('[data-testid="connection-status"]');
  indicator.dataset.state = status;
  const reconnecting = status === "offline" && socket.active;
  const key = {
    ready: "booth.conn.ready",
    connecting: "booth.conn.connecting",
    offline: reconnecting ? firstKnownKey(...CONN_RECONNECTING_KEYS) : "booth.conn.offline",
    unauthorized: "booth.conn.unauthorized",
  }[status];
  $("conn-text").dataset.i18n = key;
  $("conn-text").textContent = t(key);
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
  const c = state.consultation;
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
  renderElapsed();
  $("waiting-ringing").hidden = !c.offered;
  noAnswer.render(Boolean(c.offered));
}

function renderElapsed() {
  const c = state.consultation;
  if (!c) return;
  const minutes = Math.floor(Math.max(0, nowSeconds() - c.since) / 60);
  $("waited").textContent = minutes < 1 ? t("booth.waiting.elapsed_short") : t("booth.waiting.elapsed", { minutes });
}

/** When the resident started waiting, on this kiosk's clock: from the server's `waited_s` (so a reload or a
 * reconnect keeps the time waited, and a kiosk clock that is off does not matter); undefined when not given. */
function sinceFromServer(message) {
  const waited = Number(message.waited_s);
  return Number.isFinite(waited) && message.waited_s !== null ? nowSeconds() - Math.max(0, waited) : undefined;
}

function adoptConsultation(fields) {
  const previous = state.consultation && state.consultation.id === fields.id ? state.consultation : {};
  state.consultation = { since: nowSeconds(), offered: false, ...previous, ...fields };
  callScreen.keepSignalsOf(fields.id);
}

// ------------------------------------------------------------------------------------- ending and wiping

function showThanks(reason = null) {
  if (state.fatal) return resetToIdle(); // e.g. the call ended because this device was revoked: wipe, keep saying why
  const callback = reason === "callback"; // no call took place: say what happens next, ask nothing
  const body = $("thanks-body");
  body.dataset.i18n = callback ? "booth.thanks.callback" : "booth.thanks.body";
  body.textContent = t(body.dataset.i18n);
  csat.ask(callback ? null : (state.consultation?.id ?? null)); // the thanks screen's own timer returns to idle
  callScreen.stop();
  state.consultation = null;
  chat.clear();
  showScreen("thanks");
  clearTimeout(state.thanksTimer);
  state.thanksTimer = setTimeout(resetToIdle, THANKS_MS);
}

/** Back to idle with nothing of the resident left on screen or in memory. */
function resetToIdle() {
  clearTimeout(state.thanksTimer);
  csat.reset();
  noAnswer.reset();
  callScreen.stop();
  state.consultation = null;
  callScreen.forgetSignals();
  state.requesting = false;
  chat.clear();
  banner.hide();
  callScreen.setNotice(null);
  $("peer-name").textContent = "";
  $("waiting-route").textContent = "";
  $("queue-position").textContent = "";
  delete $("queue-position").dataset.position;
  $("queue-ahead").textContent = "";
  $("wait-estimate").textContent = "";
  $("waited").textContent = "";
  for (const button of document.querySelectorAll(".route-button")) button.disabled = false;
  setCheckinCode("");
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
    if (["waiting", "call"].includes(state.screen)) showThanks();
    return;
  }
  clearTimeout(state.thanksTimer);
  const since = sinceFromServer(view);
  adoptConsultation({
    id,
    route: view.route,
    ...(since ? { since } : {}),
    ...(view.position !== undefined ? { position: view.position } : {}),
    ...(view.wait_estimate_s !== undefined ? { waitEstimate: view.wait_estimate_s } : {}),
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

// ------------------------------------------------------------------------- the free-text question (start)

function clearQuestion() {
  $("question-input").value = "";
  $("question-suggestions").replaceChildren();
  $("question-suggestions").hidden = true;
}

/** The resident's own words: the server's triage offers the two or three likely topics as big buttons. */
async function askQuestion() {
  const text = $("question-input").value.trim();
  if (!text || state.requesting) return;
  $("question-submit").disabled = true;
  try {
    const { triage } = await request(socket, SEND.TRIAGE_PREVIEW, { text });
    const routes = [];
    for (const route of [triage.route, ...(triage.suggestions || []).map((s) => s.route)]) {
      if (typeof route === "string" && !routes.includes(route) && routes.length < 3) routes.push(route);
    }
    if (triage.urgent && routes.length) return requestConsultation(routes[0], text); // danger: to the front
    const box = $("question-suggestions");
    box.replaceChildren(
      ...routes.map((route) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-large question-suggestion";
        button.dataset.testid = "question-suggestion";
        button.dataset.route = route;
        button.textContent = t("booth.question.is_it", { topic: t(`route.${route}`) });
        button.addEventListener("click", () => requestConsultation(route, text));
        return button;
      }),
    );
    if (!routes.length) box.textContent = t("booth.question.none");
    box.hidden = false;
    box.scrollIntoView?.({ block: "nearest" });
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    $("question-submit").disabled = false;
  }
}

// What the speech recogniser listens for in each page language (easy Japanese is spoken Japanese).
const SPEECH_LANGUAGES = {
  ja: "ja-JP",
  "easy-ja": "ja-JP",
  en: "en-US",
  zh: "zh-CN",
  ko: "ko-KR",
  vi: "vi-VN",
  pt: "pt-BR",
  tl: "fil-PH",
  ne: "ne-NP",
};

/** A big microphone button, only where the browser offers speech input; what it hears is asked at once. */
function setUpMicrophone() {
  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) return; // typing and the route buttons stay
  const mic = $("question-mic");
  mic.hidden = false;
  mic.addEventListener("click", () => {
    const recognition = new Recognition();
    recognition.lang = SPEECH_LANGUAGES[language()] || "ja-JP";
    recognition.interimResults = false;
    recognition.addEventListener("result", (event) => {
      const heard = event.results?.[0]?.[0]?.transcript || "";
      if (!heard) return;
      $("question-input").value = heard;
      askQuestion();
    });
    recognition.addEventListener("end", () => mic.classList.remove("listening"));
    mic.classList.add("listening");
    $("question-input").placeholder = t("booth.question.listening");
    recognition.start();
  });
}

// ---------------------------------------------------------------------------------------------- actions

async function requestConsultation(route, question = null) {
  if (state.requesting) return;
  state.requesting = true;
  const buttons = document.querySelectorAll(".route-button, .question-suggestion");
  for (const button of buttons) button.disabled = true;
  try {
    const payload = { route, language: language() };
    if (question) payload.question = question; // the summary the agent reads comes from these words
    const ack = await request(socket, SEND.CONSULTATION_REQUEST, payload);
    adoptConsultation({
      id: ack.consultation_id,
      route,
      position: ack.position,
      waitEstimate: ack.wait_estimate_s ?? null,
      since: nowSeconds(),
    });
    // The server tells the line and the ringing console as soon as the case exists, which can be before the ack.
    for (const [event, message] of state.early) if (message.consultation_id === ack.consultation_id) EARLY[event](message);
    state.early.clear();
    if (state.screen === "routes") showScreen("waiting");
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    state.requesting = false;
    for (const button of buttons) button.disabled = false;
  }
}

const CHECKIN_DIGITS = 8;
const CHECKIN_REFUSALS = new Set(["unknown_code", "not_today", "not_changeable", "too_many_wrong_codes"]);

function setCheckinCode(code) {
  state.checkinCode = code;
  $("checkin-code").textContent = code.replace(/(\d{4})(?=\d)/, "$1 ");
  $("checkin-submit").disabled = code.length !== CHECKIN_DIGITS;
}

/** A booked resident's code: the server checks it in; within the window they go ahead of walk-ins. */
async function checkIn() {
  if (state.requesting || state.checkinCode.length !== CHECKIN_DIGITS) return;
  state.requesting = true;
  $("checkin-submit").disabled = true;
  try {
    const ack = await request(socket, SEND.CONSULTATION_REQUEST, { booking: state.checkinCode, language: language() });
    setCheckinCode("");
    adoptConsultation({
      id: ack.consultation_id,
      route: ack.booking.route,
      position: ack.position,
      waitEstimate: ack.wait_estimate_s ?? null,
      since: nowSeconds(),
    });
    if (state.screen === "checkin") showScreen("waiting");
    banner.show(t(`booth.checkin.${ack.booking.outcome}`));
  } catch (err) {
    banner.show(CHECKIN_REFUSALS.has(err.code) ? t(`booth.checkin.error.${err.code}`) : errorText(err));
    setCheckinCode(state.checkinCode);
  } finally {
    state.requesting = false;
  }
}

async function cancelWaiting() {
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
const picker = new LanguagePicker({ onError: (err) => console.error(err) });

function takeToken() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const fromFragment = fragment.get("token");
  if (fromFragment) {
    try {
      localStorage.setItem(TOKEN_KEY, fromFragment);
    } catch (err) {
      console.warn("booth: cannot store the device token", err);
    }
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromFragment;
  }
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

const token = takeToken();
const socket = io("/booth", {
  auth: { token: token || "" },
  transports: ["websocket", "polling"],
  autoConnect: false,
  reconnectionDelayMax: 10000,
});

const callScreen = new CallScreen({
  socket,
  polite: true,
  label: "booth",
  banner,
  reconnectingKeys: RECONNECTING_CALL_KEYS,
  show: () => showScreen("call"),
  onStart: (message) => {
    adoptConsultation({ id: message.consultation_id, peerName: message.peer?.display_name || "" });
    const name = state.consultation.peerName;
    $("peer-name").textContent = name ? t("booth.call.with", { name }) : "";
  },
});

const csat = new Csat({ socket, root: $("csat") });

const chat = new ChatPanel({
  socket,
  log: $("chat-log"),
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
const selfTest = new SelfTest({ socket, element: $("self-test-status"), idle: () => state.screen === "idle" });

socket.on("connect", () => {
  setConnection("ready");
  if (state.screen === "call") callScreen.linkUp();
  if (selfTest.due()) selfTest.run();
});
let revoked = false;
socket.on("disconnect", (reason) => {
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
  $("booth-name").textContent = message.name || "";
  $("booth-location").textContent = message.place || message.location || "";
  // booth.state comes once per connection, before "connect" fires; a second one means the link came back.
  const reconnected = state.stateSocketId !== null && state.stateSocketId !== socket.id;
  state.stateSocketId = socket.id;
  restore(message.consultation, { reconnected });
});

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
    ...(sinceFromServer(message) !== undefined ? { since: sinceFromServer(message) } : {}),
  });
  noAnswer.update(message);
  if (state.screen === "call" && !callScreen.call) showScreen("waiting"); // the agent's link was lost: back in line
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
}

const EARLY = { [RECEIVE.QUEUE_POSITION]: onQueuePosition, [RECEIVE.CALL_COMING]: onCallComing };
socket.on(RECEIVE.QUEUE_POSITION, onQueuePosition);
socket.on(RECEIVE.CALL_COMING, onCallComing);

socket.on(RECEIVE.CALL_START, (message) => callScreen.start(message));

socket.on(RECEIVE.SIGNAL, (message) => callScreen.signal(message));

socket.on(RECEIVE.CHAT_MESSAGE, (message) => chat.receive(message, state.consultation?.id));

socket.on(RECEIVE.PEER_LINK, (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  // The agent's link is back: the agent offers on a fresh connection and call.js takes it.
  callScreen.peerLink(message.connected);
});

socket.on(RECEIVE.CALL_END, (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  callScreen.stop();
});

socket.on(RECEIVE.CONSULTATION_CLOSED, (message) => {
  if (!state.consultation || message.consultation_id !== state.consultation.id) return;
  showThanks(message.reason);
});

$("start").addEventListener("click", () => {
  banner.hide();
  clearQuestion();
  showScreen("routes");
});
$("question-form").addEventListener("submit", (event) => {
  event.preventDefault();
  askQuestion();
});
setUpMicrophone();
$("routes-back").addEventListener("click", resetToIdle);
$("checkin-start").addEventListener("click", () => {
  banner.hide();
  setCheckinCode("");
  showScreen("checkin");
});
$("checkin-back").addEventListener("click", resetToIdle);
for (const key of document.querySelectorAll("#checkin-pad .numpad-key")) {
  key.addEventListener("click", () => {
    const code = state.checkinCode;
    if (key.dataset.key === "clear") setCheckinCode("");
    else if (key.dataset.key === "delete") setCheckinCode(code.slice(0, -1));
    else if (code.length < CHECKIN_DIGITS) setCheckinCode(code + key.dataset.key);
  });
}
$("checkin-submit").addEventListener("click", checkIn);
for (const button of document.querySelectorAll(".route-button")) {
  button.addEventListener("click", () => requestConsultation(button.dataset.route));
}
$("cancel-waiting").addEventListener("click", cancelWaiting);
$("end-call").addEventListener("click", askHangUp);
$("hangup-yes").addEventListener("click", endCall);
$("hangup-no").addEventListener("click", closeHangUp);
$("error-retry").addEventListener("click", () => window.location.reload());
document.addEventListener("i18n:change", () => {
  renderWaiting();
  selfTest.relabel();
  setConnection(document.querySelector('[data-testid="connection-status"]').dataset.state);
});
document.addEventListener("contextmenu", (event) => event.preventDefault());
setInterval(() => state.screen === "waiting" && renderWaiting(), 1000);

applyTranslations();
new QrCheckIn(); // check-in by the booking page's QR code held to the camera
showScreen("idle");
if (!token) {
  setConnection("unauthorized");
  showFatal("booth.error.no_token");
} else {
  socket.connect();
}
