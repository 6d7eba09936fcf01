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
import { ChatPanel } from "./chat.js";
import { Csat } from "./csat.js";
import { RECEIVE, SEND } from "./events.js";
import {
  DEFAULT_LANGUAGE,
  applyTranslations,
  firstKnownKey,
  initI18n,
  language,
  nextLanguage,
  setLanguage,
  t,
} from "./i18n.js";
import { errorText, nowSeconds, request } from "./net.js";

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
  fatal: false,
  stateSocketId: null, // the socket connection whose booth.state was applied last
  early: new Map(), // event name → the last message for a consultation not adopted yet (it beat the request's ack)
};
const banner = new Banner($("banner"));

// ---------------------------------------------------------------------------------------------- screens

function showScreen(name) {
  state.screen = name;
  if (name !== "call") $("hangup-confirm").hidden = true;
  document.body.dataset.screen = name;
  for (const section of document.querySelectorAll("section[data-screen]")) {
    section.hidden = section.dataset.screen !== name;
  }
  clearTimeout(state.routesTimer);
  if (name === "routes") state.routesTimer = setTimeout(() => state.screen === "routes" && resetToIdle(), ROUTES_IDLE_MS);
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

function showThanks() {
  csat.ask(state.consultation?.id ?? null); // the thanks screen's own timer returns to idle, answered or not
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
  if (state.fatal) return;
  showScreen("idle");
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
  if (QUEUED.has(phase)) {
    if (callScreen.call) callScreen.stop();
    showScreen("waiting");
  } else if (phase === "active") {
    if (view.call) callScreen.start(view.call, { reconnected }); // the same call, its media renegotiated
    else showScreen("call");
    for (const line of view.chat || []) chat.receive(line, id); // fills whatever the link dropped, once
  }
}

// ---------------------------------------------------------------------------------------------- actions

async function requestConsultation(route) {
  if (state.requesting) return;
  state.requesting = true;
  const buttons = document.querySelectorAll(".route-button");
  for (const button of buttons) button.disabled = true;
  try {
    const ack = await request(socket, SEND.CONSULTATION_REQUEST, { route, language: language() });
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

socket.on("connect", () => {
  setConnection("ready");
  if (state.screen === "call") callScreen.linkUp();
});
socket.on("disconnect", (reason) => {
  setConnection("offline");
  if (reason === "io server disconnect") setTimeout(() => socket.connect(), 2000); // e.g. server restart
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
  showThanks();
});

$("start").addEventListener("click", () => {
  banner.hide();
  showScreen("routes");
});
$("routes-back").addEventListener("click", resetToIdle);
for (const button of document.querySelectorAll(".route-button")) {
  button.addEventListener("click", () => requestConsultation(button.dataset.route));
}
$("cancel-waiting").addEventListener("click", cancelWaiting);
$("end-call").addEventListener("click", askHangUp);
$("hangup-yes").addEventListener("click", endCall);
$("hangup-no").addEventListener("click", closeHangUp);
$("lang-switch").addEventListener("click", () => {
  setLanguage(nextLanguage()).catch((err) => console.error(err));
});
$("error-retry").addEventListener("click", () => window.location.reload());
document.addEventListener("i18n:change", () => {
  renderWaiting();
  setConnection(document.querySelector('[data-testid="connection-status"]').dataset.state);
});
document.addEventListener("contextmenu", (event) => event.preventDefault());
setInterval(() => state.screen === "waiting" && renderElapsed(), 1000);

applyTranslations();
showScreen("idle");
if (!token) {
  setConnection("unauthorized");
  showFatal("booth.error.no_token");
} else {
  socket.connect();
}
