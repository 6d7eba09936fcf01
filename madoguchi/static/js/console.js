// The agent console: status, live queue, incoming offer with a ring, the call, and the wrap-up form.
//
// Why it is built this way: the server owns the agent's state and sends `agent.state` on connect and on every
// change, so a reload or a dropped socket lands the agent back on the right view (offer, call or wrap-up)
// without local bookkeeping. The ring is synthesised with WebAudio (no audio file to ship or fetch).
// A dropped link does not end a call: when the socket is back, or when the server says the resident's link is
// back (peer.link), the console, as the impolite side, offers on a fresh peer connection (call.js resume());
// the chat is replayed by seq and unsent lines go out again with their client_id (outbox.js).

import { io } from "/static/vendor/socket.io.esm.min.js";
import { startCallView, stopCallView } from "./call.js";
import { Banner } from "./banner.js";
import { ChatPanel } from "./chat.js";
import { applyTranslations, firstKnownKey, formatClock, initI18n, t } from "./i18n.js";
import { errorText, nowSeconds, request } from "./net.js";

const $ = (id) => document.getElementById(id);

const state = {
  view: "idle",
  status: "offline",
  connected: false,
  offer: null, // the `offer` payload, plus receivedAt
  consultation: null, // {id, route, booth_name, place, language, urgent}
  call: null,
  earlySignals: [],
  queue: [], // QueueItem payloads
  queueReceivedAt: 0,
  offerTimer: null,
  stateSocketId: null, // the socket connection whose first agent.state was applied
};
const banner = new Banner($("banner"));
const RECONNECTING_CALL_KEYS = ["console.conn.offline"];

// -------------------------------------------------------------------------------------------- the ring

class Ringer {
  constructor() {
    this.context = null;
    this.timer = null;
  }

  /** Create the AudioContext inside a user gesture so the browser lets it play later. */
  unlock() {
    const AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return;
    if (!this.context) this.context = new AudioContextClass();
    if (this.context.state === "suspended") this.context.resume().catch(() => {});
  }

  start() {
    if (this.timer) return;
    this.unlock();
    const ringOnce = () => this.burst();
    ringOnce();
    this.timer = setInterval(ringOnce, 2500);
  }

  burst() {
    const ctx = this.context;
    if (!ctx) return;
    const at = ctx.currentTime;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0, at);
    gain.connect(ctx.destination);
    for (const [offset, length] of [[0, 0.35], [0.5, 0.35]]) {
      const osc = ctx.createOscillator();
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, at + offset);
      osc.frequency.setValueAtTime(660, at + offset + length / 2);
      osc.connect(gain);
      gain.gain.setTargetAtTime(0.25, at + offset, 0.01);
      gain.gain.setTargetAtTime(0, at + offset + length, 0.02);
      osc.start(at + offset);
      osc.stop(at + offset + length + 0.1);
    }
    setTimeout(() => gain.disconnect(), 1500);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}

const ringer = new Ringer();

// ---------------------------------------------------------------------------------------------- helpers

function showView(name) {
  state.view = name;
  document.body.dataset.view = name;
  for (const section of document.querySelectorAll("section[data-view]")) section.hidden = section.dataset.view !== name;
  if (name === "offer") ringer.start();
  else ringer.stop();
  if (name !== "offer") clearInterval(state.offerTimer);
}

function routeName(route) {
  return route ? t(`route.${route}`) : "";
}

function languageName(code) {
  const key = `lang.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

function placeText(item) {
  if (item.channel === "chat") return t("console.channel.chat");
  const booth = item.booth_name || "";
  const place = item.place || "";
  if (booth && place && booth !== place) return t("console.queue.place", { booth, place });
  return booth || place;
}

function setStatus(status) {
  state.status = status;
  const box = $("agent-status");
  box.dataset.status = status;
  const key = `console.status.now.${status}`;
  $("agent-status-text").dataset.i18n = key;
  $("agent-status-text").textContent = t(key);
  $("status-available").setAttribute("aria-pressed", String(status === "available"));
  $("status-away").setAttribute("aria-pressed", String(status === "away"));
  for (const id of ["status-available", "status-away"]) $(id).disabled = !state.connected;
  const lead = status === "available" ? "console.idle.available" : "console.idle.lead";
  $("idle-lead").dataset.i18n = lead;
  $("idle-lead").textContent = t(lead);
}

// ------------------------------------------------------------------------------------------------ queue

function renderQueue() {
  const list = $("queue-list");
  const elapsed = nowSeconds() - state.queueReceivedAt;
  const rows = state.queue.map((item) => {
    const li = document.createElement("li");
    li.className = "queue-item";
    li.dataset.consultationId = item.consultation_id;
    li.dataset.route = item.route;
    if (item.urgent) li.classList.add("urgent");
    const head = document.createElement("div");
    head.className = "q-route";
    if (item.urgent) {
      const urgent = document.createElement("span");
      urgent.className = "q-urgent";
      urgent.textContent = t("console.queue.urgent");
      head.append(urgent);
    }
    head.append(routeName(item.route));
    const place = document.createElement("div");
    place.className = "q-place";
    place.textContent = placeText(item);
    const meta = document.createElement("div");
    meta.className = "q-meta";
    const waited = document.createElement("span");
    waited.className = "q-waited";
    waited.dataset.testid = "queue-waited";
    waited.textContent = t("console.queue.waited", { time: formatClock((item.waited_s || 0) + elapsed) });
    meta.append(languageName(item.language || "ja"), " · ", waited);
    li.append(head, place, meta);
    return li;
  });
  list.replaceChildren(...rows);
  $("queue-empty").hidden = rows.length > 0;
  $("queue-count").textContent = rows.length ? t("console.queue.count", { count: rows.length }) : "";
}

// ------------------------------------------------------------------------------------------------ offer

function showOffer(offer) {
  state.offer = { ...offer, receivedAt: nowSeconds() };
  $("offer-route").textContent = routeName(offer.route);
  $("offer-urgent").hidden = !offer.urgent;
  $("offer-place").textContent = placeText(offer);
  $("offer-meta").textContent = `${languageName(offer.language || "ja")} · ${t("console.offer.waited", {
    time: formatClock(offer.waited_s || 0),
  })}`;
  renderSummary($("offer-summary"), offer.summary);
  for (const id of ["offer-accept", "offer-decline"]) $(id).disabled = false;
  showView("offer");
  renderCountdown();
  clearInterval(state.offerTimer);
  state.offerTimer = setInterval(renderCountdown, 250);
}

function renderCountdown() {
  const offer = state.offer;
  if (!offer) return;
  const left = Math.max(0, Math.ceil(offer.expires_at - nowSeconds()));
  $("offer-countdown").textContent = t("console.offer.countdown", { seconds: left });
  if (left <= 0) clearInterval(state.offerTimer);
}

/** The bot's handoff summary (already masked by the server), if the consultation came through the bot. */
function renderSummary(element, summary) {
  const need = summary && typeof summary.need === "string" ? summary.need : "";
  element.hidden = !need;
  element.replaceChildren();
  if (!need) return;
  const label = document.createElement("span");
  label.className = "summary-label";
  label.dataset.i18n = "console.summary.label";
  label.textContent = t("console.summary.label");
  element.append(label, need);
}

function dropOffer() {
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
    await request(socket, "offer.accept", { consultation_id: offer.consultation_id });
    state.offer = null;
    beginConsultation({ ...offer, id: offer.consultation_id });
    setCallNotice("media.connecting");
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
    await request(socket, "offer.decline", { consultation_id: offer.consultation_id });
  } catch (err) {
    if (err.code !== "invalid_state" && err.code !== "not_found") banner.show(errorText(err));
  }
  dropOffer();
}

// ------------------------------------------------------------------------------------------------- call

function beginConsultation(details) {
  const id = details.id || details.consultation_id;
  if (state.consultation?.id !== id) {
    chat.clear();
    $("wrapup-form").reset();
  }
  state.consultation = { ...(state.consultation?.id === id ? state.consultation : {}), ...details, id };
  renderCallDetails();
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
}

/** The bot's whole handoff summary beside the call: urgent flag, need (call-summary: what the resident wants now),
 * what else they asked, what the bot said, flags. */
function renderHandoff(c) {
  const summary = c?.summary && typeof c.summary === "object" ? c.summary : null;
  const urgent = c?.urgent === true;
  $("call-urgent").hidden = !urgent;
  const details = [];
  const add = (key, values) => {
    const texts = (Array.isArray(values) ? values : [values]).filter((v) => typeof v === "string" && v);
    if (!texts.length) return;
    const term = document.createElement("dt");
    term.dataset.i18n = key;
    term.textContent = t(key);
    const description = document.createElement("dd");
    description.textContent = texts.join(" / "); // server text (masked), never HTML
    details.push(term, description);
  };
  if (summary) {
    add("console.summary.route", summary.route ? routeName(summary.route) : summary.route_name);
    add("console.summary.also_asked", summary.also_asked);
    add("console.summary.bot_said", summary.bot_said);
    add("console.summary.flags", summary.flags);
  }
  $("handoff-details").replaceChildren(...details);
  $("handoff-summary").hidden = !urgent && !summary;
}

function startCall(message, { reconnected = false } = {}) {
  if (state.call && state.call.consultationId === message.consultation_id && !state.call.closed) {
    showView("call");
    // Our link came back: offer on a fresh connection; the booth answers.
    if (reconnected && state.call.resume({ own: true })) setCallNotice("media.connecting");
    return;
  }
  stopCall();
  beginConsultation({ id: message.consultation_id, peerName: message.peer?.display_name || "" });
  setMuted(false);
  $("call-view").dataset.media = message.media === false ? "false" : "true";
  showView("call");
  if (message.media === false) {
    setCallNotice("console.call.text_only"); // a resident chatting from home: no camera on either side
    return;
  }
  setCallNotice("media.connecting");
  state.call = startCallView({
    socket,
    message,
    polite: false,
    setNotice: setCallNotice,
    onMediaProblem: () => banner.show(t("media.unavailable")),
    earlySignals: state.earlySignals,
    label: "console",
  });
}

function stopCall() {
  stopCallView(state.call);
  state.call = null;
}

function setCallNotice(key) {
  const notice = $("call-notice");
  notice.hidden = !key;
  notice.textContent = key ? t(key) : "";
  if (key) notice.dataset.i18n = key;
  else delete notice.dataset.i18n;
}

function setMuted(muted) {
  const isMuted = state.call ? state.call.setMuted(muted) : false;
  $("mute").setAttribute("aria-pressed", String(isMuted));
  $("mute").dataset.i18n = isMuted ? "media.unmute" : "media.mute";
  $("mute").textContent = t($("mute").dataset.i18n);
}

function showWrapUp() {
  stopCall();
  setCallNotice(null);
  $("wrapup-chat-log").replaceChildren(...chat.lines());
  $("wrapup-error").hidden = true;
  showView("wrapup");
}

async function endCall() {
  const c = state.consultation;
  if (!c) return;
  $("end-call").disabled = true;
  try {
    await request(socket, "consultation.end", { consultation_id: c.id });
    showWrapUp();
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    $("end-call").disabled = false;
  }
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
  $("wrapup-submit").disabled = true;
  try {
    await request(socket, "wrapup.submit", { consultation_id: c.id, disposition, note: $("wrapup-note").value });
    finishConsultation();
    banner.show(t("console.wrapup.saved"));
  } catch (err) {
    error.textContent = errorText(err);
    error.hidden = false;
  } finally {
    $("wrapup-submit").disabled = false;
  }
}

/** Forget the finished consultation: chat, transcript copy, form, details. */
function finishConsultation() {
  stopCall();
  state.consultation = null;
  state.earlySignals = [];
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
  if (message.status) setStatus(activityOf(message));
  const view = message.consultation;
  if (view) {
    const id = view.consultation_id || view.id;
    beginConsultation({ ...view, id });
    for (const line of view.chat || []) chat.receive(line, id);
    if (view.state === "active") {
      if (view.call) startCall(view.call, { reconnected }); // the same call, its media renegotiated
      else showView("call");
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
    const ack = await request(socket, "agent.status", { status });
    if (!state.consultation && !state.offer) setStatus(ack.status || status);
  } catch (err) {
    banner.show(errorText(err));
  }
}

// ------------------------------------------------------------------------------------------------ socket

await initI18n();

const socket = io("/agent", { transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });

const chat = new ChatPanel({
  socket,
  log: $("chat-log"),
  form: $("chat-form"),
  input: $("chat-input"),
  button: $("chat-send"),
  me: "agent",
  senderKeys: {
    resident: "console.chat.resident",
    agent: "console.chat.me",
    bot: "chat.sender.bot",
    system: "chat.sender.system",
  },
  consultationId: () => state.consultation?.id ?? null,
  onError: (text) => banner.show(text),
});

socket.on("connect", () => {
  state.connected = true;
  banner.hide();
  if (RECONNECTING_CALL_KEYS.includes($("call-notice").dataset.i18n)) {
    setCallNotice($("call-view").dataset.media === "false" ? "console.call.text_only" : "media.connecting");
  }
  setStatus(state.status === "offline" ? "away" : state.status);
});
socket.on("disconnect", () => {
  state.connected = false;
  setStatus("offline");
  banner.show(t("console.conn.offline"), { sticky: true });
  if (state.view === "call") setCallNotice(firstKnownKey(...RECONNECTING_CALL_KEYS));
});
socket.on("connect_error", () => {
  if (socket.active) return; // network trouble; the client retries by itself
  state.connected = false;
  setStatus("offline");
  banner.show(t("console.conn.unauthorized"), { sticky: true });
  setTimeout(() => window.location.assign("/login"), 3000);
});

socket.on("agent.state", applyAgentState);
socket.on("queue.snapshot", (message) => {
  state.queue = Array.isArray(message.items) ? message.items : [];
  state.queueReceivedAt = nowSeconds();
  renderQueue();
});
socket.on("offer", (message) => {
  if (!state.consultation) showOffer(message);
});
socket.on("offer.withdrawn", (message) => {
  if (state.offer?.consultation_id !== message.consultation_id) return;
  banner.show(t("console.offer.withdrawn"));
  dropOffer();
});
socket.on("call.start", startCall);
socket.on("signal", (message) => {
  if (state.call && state.call.consultationId === message.consultation_id) state.call.handleSignal(message);
  else if (state.earlySignals.length < 200) state.earlySignals.push(message);
});
socket.on("chat.message", (message) => chat.receive(message, state.consultation?.id));
socket.on("peer.link", (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  // The resident's link is back: they rebuilt their connection, so we offer on a fresh one.
  if (message.connected && state.call?.resume({ own: false })) setCallNotice("media.connecting");
  else setCallNotice(message.connected ? null : "media.peer_lost");
  if (!message.connected && $("call-view").dataset.media === "false") banner.show(t("media.peer_lost"));
});
socket.on("call.end", (message) => {
  if (message.consultation_id !== state.consultation?.id) return;
  if (state.view === "call") showWrapUp();
  else stopCall();
});

$("status-available").addEventListener("click", () => changeStatus("available"));
$("status-away").addEventListener("click", () => changeStatus("away"));
$("offer-accept").addEventListener("click", acceptOffer);
$("offer-decline").addEventListener("click", declineOffer);
$("end-call").addEventListener("click", endCall);
$("mute").addEventListener("click", () => setMuted(!(state.call && state.call.muted)));
$("wrapup-form").addEventListener("submit", submitWrapUp);
document.addEventListener("i18n:change", () => {
  renderQueue();
  renderCallDetails();
});
setInterval(() => state.queue.length && renderQueue(), 1000);

applyTranslations();
showView("idle");
setStatus("offline");
