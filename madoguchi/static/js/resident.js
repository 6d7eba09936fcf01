// The resident chat for phones: the bot first, then a person, in one conversation.
//
// Why it is built this way:
// - Residents are anonymous. The server gives a resume token in `resident.state`; it is kept in
//   sessionStorage (this tab only, gone when the tab closes) and sent as auth {resume} on every (re)connect,
//   so a reload or a dropped mobile link brings back the same conversation.
// - The server is the source of truth: `resident.state` after each connect decides the phase (bot, waiting,
//   talking) and replays the transcript. Lines are shown only as the server echoes them, so the resident sees
//   exactly what was recorded, with their 個人番号 already masked.
// - The transcript replay carries no bot extras (suggestions, hotlines), so those are remembered per line in
//   sessionStorage; they are the town's own texts, never anything the resident typed.
// - Text from anyone is put on screen with textContent only; line breaks survive through CSS (pre-wrap).
// - A bot line with urgent:true shows 110/119 and the hotlines at once, and they stay until "start over".
//   So does the bot's danger question (safety_check:true), which also offers はい/いいえ buttons.
// - What the resident types goes into an outbox (outbox.js) and shows at once as a pending line; it is sent in
//   order until acknowledged, again with the same client_id after a dropped link, so it is stored once. Lines
//   are rendered by seq, once, so the echo and the replay in resident.state can overlap and fill any gap.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { pendingMark } from "./chat.js";
import { applyTranslations, firstKnownKey, initI18n, language, setLanguage, t } from "./i18n.js";
import { errorText, newClientId, request } from "./net.js";
import { Outbox } from "./outbox.js";

const $ = (id) => document.getElementById(id);

const municipalityId = document.body.dataset.municipalityId;
const MAX_CHARS = Number(document.body.dataset.maxChars || 1000);
const STORE_PREFIX = `madoguchi.resident.${municipalityId}.`;
const RESUME_KEY = `${STORE_PREFIX}resume`;
const BOT_KEY = `${STORE_PREFIX}bot`; // {consultation_id, lines: {seq: bot}, hotlines: [...]}
const LANG_KEY = `${STORE_PREFIX}lang`;
const MAX_REMEMBERED_BOT_LINES = 40;
const MAX_LINES = 500;
const WAITING_STATES = new Set(["waiting", "offered"]);
const SENDER_KEYS = {
  resident: "resident.sender.me",
  agent: "resident.sender.agent",
  bot: "chat.sender.bot",
  system: "chat.sender.system",
};
const RECONNECTING_WAITING_KEYS = ["resident.reconnecting.waiting", "error.offline"];
const FALLBACK_HOTLINES = [
  { id: "police", nameKey: "resident.hotline.police", number: "110", when: "" },
  { id: "fire", nameKey: "resident.hotline.fire", number: "119", when: "" },
];

let socket = null; // created after the catalog is loaded, below
let outbox = null; // lines typed but not yet acknowledged (created with the socket)

const state = {
  phase: "start", // start | bot | waiting | talking | closed
  consultationId: null,
  position: null,
  waitEstimate: null,
  offered: false,
  peerName: "",
  peerLost: false,
  closedReason: null,
  urgent: false,
  hotlines: [],
  seen: new Set(),
  lastSeq: 0, // the highest seq rendered for this consultation
  sending: false,
  followNewest: true,
};
const banner = new Banner($("banner"), { defaultKind: "error" });

// ------------------------------------------------------------------------------------------- storage

function storageGet(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return null; // private mode or storage disabled: the chat still works, only a reload forgets it
  }
}

function storageSet(key, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    /* see storageGet */
  }
}

function rememberedBot() {
  try {
    const raw = JSON.parse(storageGet(BOT_KEY) || "null");
    if (raw && typeof raw === "object" && raw.lines && typeof raw.lines === "object") return raw;
  } catch {
    /* a damaged entry is simply forgotten */
  }
  return null;
}

function rememberBotLine(consultationId, seq, bot) {
  const stored = rememberedBot();
  const memory =
    stored && stored.consultation_id === consultationId
      ? stored
      : { consultation_id: consultationId, lines: {}, hotlines: [] };
  memory.lines[String(seq)] = {
    action: bot.action,
    urgent: bot.urgent === true,
    safety_check: bot.safety_check === true,
    suggestions: Array.isArray(bot.suggestions) ? bot.suggestions : [],
    links: Array.isArray(bot.links) ? bot.links : [],
  };
  const seqs = Object.keys(memory.lines).map(Number).sort((a, b) => a - b);
  for (const old of seqs.slice(0, Math.max(0, seqs.length - MAX_REMEMBERED_BOT_LINES))) delete memory.lines[String(old)];
  if (Array.isArray(bot.hotlines) && bot.hotlines.length) memory.hotlines = bot.hotlines;
  storageSet(BOT_KEY, JSON.stringify(memory));
}

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
  if (card.hidden) return;
  const position = state.position;
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
      position === 1 ? t("resident.waiting.next") : t("resident.waiting.ahead", { count: position - 1 });
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
}

function renderTalking() {
  $("talking-card").hidden = state.phase !== "talking";
  $("talking-text").textContent = state.peerName
    ? t("resident.talking.with", { name: state.peerName })
    : t("resident.talking.with_anyone");
  $("peer-notice").hidden = !state.peerLost;
  $("peer-notice").textContent = state.peerLost ? t("media.peer_lost") : "";
}

function renderClosed() {
  $("closed-card").hidden = state.phase !== "closed";
  const key =
    state.closedReason === "cancelled"
      ? "resident.closed.cancelled"
      : state.closedReason === "resident_link_lost"
        ? "resident.closed.lost"
        : "resident.closed.done";
  $("closed-text").textContent = t(key);
}

// -------------------------------------------------------------------------------------- urgent banner

function telHref(number) {
  const dialable = String(number).replace(/[^0-9#*+]/g, "");
  return `tel:${dialable.replace(/#/g, "%23")}`;
}

function showUrgent(hotlines) {
  state.urgent = true;
  if (Array.isArray(hotlines) && hotlines.length) state.hotlines = hotlines;
  renderUrgent();
  $("urgent-banner").scrollIntoView?.({ block: "nearest" });
}

function renderUrgent() {
  const banner = $("urgent-banner");
  banner.hidden = !state.urgent;
  if (!state.urgent) {
    $("hotlines").replaceChildren();
    return;
  }
  // 110 and 119 always, even if the server's list were ever missing them (e.g. storage was unavailable).
  const lines = [...state.hotlines];
  for (const fallback of FALLBACK_HOTLINES) {
    if (!lines.some((h) => String(h.number) === fallback.number)) {
      lines.unshift({ ...fallback, name: t(fallback.nameKey) });
    }
  }
  const emergency = lines.filter((h) => ["110", "119"].includes(String(h.number)));
  const others = lines.filter((h) => !["110", "119"].includes(String(h.number)));
  emergency.sort((a, b) => String(a.number).localeCompare(String(b.number)));
  const items = [...emergency, ...others].map((hotline) => {
    const li = document.createElement("li");
    li.className = emergency.includes(hotline) ? "hotline hotline-emergency" : "hotline";
    const link = document.createElement("a");
    link.className = "hotline-link";
    link.href = telHref(hotline.number);
    link.dataset.number = String(hotline.number);
    link.setAttribute("aria-label", t("resident.urgent.call", { name: hotline.name, number: hotline.number }));
    const number = document.createElement("span");
    number.className = "hotline-number";
    number.textContent = String(hotline.number);
    const name = document.createElement("span");
    name.className = "hotline-name";
    name.textContent = String(hotline.name || "");
    link.append(number, name);
    li.append(link);
    if (hotline.when && !emergency.includes(hotline)) {
      const when = document.createElement("span");
      when.className = "hotline-when";
      when.textContent = String(hotline.when);
      li.append(when);
    }
    return li;
  });
  $("hotlines").replaceChildren(...items);
}

// ------------------------------------------------------------------------------------------- the log

// Phone numbers in the bot's answers (0997-00-1234, 0120-279-889, #8008, 110) become tel: links.
const PHONE_RE = /(#\d{4}|0\d{1,4}-\d{1,4}-\d{3,4}|(?<![0-9-])(?:110|119|189|188)(?![0-9-]))/g;

/** The text as text nodes, with each phone number as a tappable tel: link (never innerHTML). */
function withPhoneLinks(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(PHONE_RE)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.className = "phone-link";
    link.href = telHref(match[0]);
    link.textContent = match[0];
    nodes.push(link);
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** The knowledge-base links of an answer (http(s) only). */
function linkList(links) {
  const list = document.createElement("ul");
  list.className = "answer-links";
  for (const link of links) {
    if (!link || typeof link.url !== "string" || !/^https?:\/\//.test(link.url)) continue;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = link.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.dataset.testid = "answer-link";
    a.textContent = String(link.title || link.url);
    li.append(a);
    list.append(li);
  }
  return list;
}

/** はい / いいえ under the bot's danger question; the answer goes as the resident's own line. */
function safetyButtons() {
  const row = document.createElement("div");
  row.className = "safety-answers";
  const buttons = ["yes", "no"].map((answer) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = answer === "yes" ? "btn btn-danger safety-answer" : "btn safety-answer";
    button.dataset.testid = `safety-${answer}`;
    button.dataset.i18n = `resident.safety.${answer}`;
    button.textContent = t(`resident.safety.${answer}`);
    return button;
  });
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      if (state.phase !== "bot") return;
      for (const b of buttons) b.disabled = true;
      await say(button.textContent, { fromInput: false });
    });
  }
  row.append(...buttons);
  return row;
}

function addLine(message, bot) {
  if (state.seen.has(message.seq)) return;
  state.seen.add(message.seq);
  const item = document.createElement("li");
  item.className = `chat-line from-${message.sender}`;
  item.dataset.sender = message.sender;
  item.dataset.seq = String(message.seq);
  const label = document.createElement("span");
  label.className = "chat-sender";
  const key = SENDER_KEYS[message.sender] || "chat.sender.system";
  label.dataset.i18n = key;
  label.textContent = t(key);
  const body = document.createElement("span");
  body.className = "chat-text";
  if (message.sender === "bot") body.append(...withPhoneLinks(String(message.text ?? "")));
  else body.textContent = String(message.text ?? ""); // never innerHTML: text is whatever someone typed
  item.append(label, body);
  if (bot && Array.isArray(bot.links) && bot.links.length) item.append(linkList(bot.links));
  if (bot && bot.safety_check === true) item.append(safetyButtons());
  if (bot && Array.isArray(bot.suggestions) && bot.suggestions.length) {
    const choices = document.createElement("div");
    choices.className = "suggestions";
    for (const suggestion of bot.suggestions) {
      if (!suggestion || typeof suggestion.entry_id !== "string") continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn suggestion";
      button.dataset.testid = "bot-suggestion";
      button.dataset.entryId = suggestion.entry_id;
      button.textContent = String(suggestion.title || "");
      button.addEventListener("click", () => chooseSuggestion(suggestion.entry_id, button));
      choices.append(button);
    }
    item.append(choices);
  }
  const log = $("chat-log");
  state.lastSeq = Math.max(state.lastSeq, message.seq);
  log.dataset.lastSeq = String(state.lastSeq);
  // In seq order, above any line still waiting to be sent.
  const after = [...log.children].find((li) => li.dataset.pending || Number(li.dataset.seq) > message.seq);
  log.insertBefore(item, after || null);
  while (log.children.length > MAX_LINES) log.firstElementChild.remove();
  $("intro").hidden = true;
  renderControls();
  scrollToNewest();
}

function scrollToNewest() {
  const main = $("res-main");
  main.scrollTop = main.scrollHeight;
  state.followNewest = true;
}

/** Keep the newest line in view when the room above changes (banners, cards), unless the resident scrolled up. */
function followNewestOnResize() {
  const main = $("res-main");
  let lastTop = main.scrollTop;
  main.addEventListener("scroll", () => {
    // Only a move up (the resident reading back) stops following; a box that shrank under us does not.
    if (main.scrollHeight - main.scrollTop - main.clientHeight < 48) state.followNewest = true;
    else if (main.scrollTop < lastTop - 4) state.followNewest = false;
    lastTop = main.scrollTop;
  });
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => state.followNewest && (main.scrollTop = main.scrollHeight)).observe(main);
  }
}

function clearConversation() {
  outbox?.clear();
  $("chat-log").replaceChildren();
  delete $("chat-log").dataset.lastSeq;
  state.seen.clear();
  state.lastSeq = 0;
  state.consultationId = null;
  state.position = null;
  state.waitEstimate = null;
  state.offered = false;
  state.peerName = "";
  state.peerLost = false;
  state.closedReason = null;
  state.urgent = false;
  state.hotlines = [];
  storageSet(BOT_KEY, null);
}

function adoptConsultation(consultationId) {
  if (state.consultationId === consultationId) return;
  if (state.consultationId !== null || state.phase === "closed") {
    const pending = [...$("chat-log").querySelectorAll("li[data-pending]")];
    const queued = outbox.pending;
    clearConversation();
    // Lines typed before the server named the new conversation belong to it: keep them going.
    for (const item of queued) outbox.add(item.payload, { element: item.element });
    $("chat-log").append(...pending);
  }
  state.consultationId = consultationId;
  if (state.phase === "start" || state.phase === "closed") setPhase("bot");
}

// ------------------------------------------------------------------------------------------- actions

async function send() {
  const input = $("chat-input");
  const text = input.value.trim();
  if (!text) return;
  if (text.length > MAX_CHARS) {
    banner.show(t("resident.error.too_long", { max: MAX_CHARS, count: text.length }));
    input.focus();
    return;
  }
  await say(text, { fromInput: true });
}

async function say(text, { fromInput }) {
  const clientId = newClientId();
  const element = pendingLine(text, clientId);
  const item = outbox.add({ text, client_id: clientId, language: language() }, { element });
  if (!item) return; // far too many lines waiting; keep the draft
  if (fromInput) {
    $("chat-input").value = "";
    updateCount();
    $("chat-input").focus();
  }
  $("chat-log").append(element);
  $("intro").hidden = true;
  scrollToNewest();
}

/** A line the resident typed that the server has not acknowledged yet, with a "sending" mark. */
function pendingLine(text, clientId) {
  const item = document.createElement("li");
  item.className = "chat-line from-resident pending";
  item.dataset.sender = "resident";
  item.dataset.pending = "true";
  item.dataset.clientId = clientId;
  item.style.opacity = "0.6"; // CSSOM, allowed by the page's CSP
  const label = document.createElement("span");
  label.className = "chat-sender";
  label.dataset.i18n = SENDER_KEYS.resident;
  label.textContent = t(SENDER_KEYS.resident);
  const body = document.createElement("span");
  body.className = "chat-text";
  body.textContent = text; // never innerHTML
  item.append(label, body, pendingMark());
  return item;
}

function lineAcknowledged(item, ack) {
  item.element?.remove(); // the recorded (masked) line comes as chat.message or in the replay
  if (typeof ack.consultation_id === "string") adoptConsultation(ack.consultation_id);
  if (ack.masked) banner.show(t("resident.masked_note"), { kind: "info" });
  if (Number.isInteger(ack.position)) queued(ack.position, ack.wait_estimate_s ?? null);
  renderControls();
}

function lineRefused(item, err) {
  item.element?.remove();
  banner.show(errorText(err));
  renderControls();
}

async function askForPerson() {
  if (state.sending) return;
  if (!state.consultationId) {
    // Nothing said yet: the words themselves ask for a person, and the bot hands over at once.
    await say(t("resident.handoff.ask_text"), { fromInput: false });
    return;
  }
  state.sending = true;
  renderControls();
  try {
    const ack = await request(socket, "handoff.request", { consultation_id: state.consultationId });
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
    await request(socket, "suggestion.choose", { consultation_id: state.consultationId, entry_id: entryId });
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

async function cancelWaiting() {
  if (!state.consultationId) return;
  $("cancel-waiting").disabled = true;
  try {
    await request(socket, "consultation.cancel", { consultation_id: state.consultationId });
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    $("cancel-waiting").disabled = false;
  }
}

async function endTalk() {
  if (!state.consultationId) return;
  $("chat-end").disabled = true;
  try {
    await request(socket, "consultation.end", { consultation_id: state.consultationId });
  } catch (err) {
    banner.show(errorText(err));
  } finally {
    $("chat-end").disabled = false;
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
  if (typeof message.resume_token === "string") storageSet(RESUME_KEY, message.resume_token);
  const view = message.consultation;
  if (!view) {
    // Nothing open on the server: a conversation we were showing ended while the link was down. Lines typed
    // for it meanwhile are not sent (they would start a new conversation nobody asked for).
    if (state.consultationId && state.phase !== "closed") {
      outbox.clear();
      for (const li of $("chat-log").querySelectorAll("li[data-pending]")) li.remove();
      setPhase("closed");
    } else {
      render();
    }
    return;
  }
  const memory = rememberedBot(); // read before anything is cleared
  if (state.consultationId !== null && state.consultationId !== view.consultation_id) clearConversation();
  state.consultationId = view.consultation_id;
  const botLines = memory && memory.consultation_id === view.consultation_id ? memory.lines : {};
  for (const line of view.chat || []) addLine(line, botLines[String(line.seq)] || null);
  if (view.urgent) showUrgent(memory && memory.consultation_id === view.consultation_id ? memory.hotlines : []);
  state.offered = view.state === "offered";
  if (WAITING_STATES.has(view.state)) {
    state.position = view.position ?? null;
    state.waitEstimate = view.wait_estimate_s ?? null;
    setPhase("waiting");
  } else if (view.state === "active") {
    state.peerName = view.call?.peer?.display_name || "";
    setPhase("talking");
  } else {
    setPhase("bot");
  }
}

function onChatMessage(message) {
  if (state.consultationId === null && state.phase !== "closed") adoptConsultation(message.consultation_id);
  if (message.consultation_id !== state.consultationId) return;
  const bot = message.sender === "bot" && message.bot && typeof message.bot === "object" ? message.bot : null;
  if (bot) rememberBotLine(message.consultation_id, message.seq, bot);
  addLine(message, bot);
  if (bot && (bot.urgent === true || bot.safety_check === true)) showUrgent(bot.hotlines);
}

function onQueuePosition(message) {
  if (message.consultation_id !== state.consultationId) return;
  state.offered = false;
  queued(message.position, message.wait_estimate_s ?? null);
}

function onCallStart(message) {
  if (message.consultation_id !== state.consultationId) return;
  state.peerName = message.peer?.display_name || "";
  state.peerLost = false;
  setPhase("talking");
}

function onClosed(message) {
  if (message.consultation_id !== state.consultationId) return;
  state.closedReason = message.reason || null;
  setPhase("closed");
  scrollToNewest();
}

// ------------------------------------------------------------------------------------------- start-up

await initI18n();
const storedLanguage = storageGet(LANG_KEY);
if (storedLanguage && storedLanguage !== language() && !new URLSearchParams(location.search).has("lang")) {
  await setLanguage(storedLanguage).catch(() => null);
}

socket = io("/resident", {
  auth: (cb) => cb({ resume: storageGet(RESUME_KEY) || undefined, municipality: municipalityId }),
  transports: ["websocket", "polling"],
  reconnectionDelayMax: 10000,
});

outbox = new Outbox({ socket, onAck: lineAcknowledged, onReject: lineRefused });

socket.on("connect", () => {
  banner.hide();
  setConnection("ready");
});
socket.on("disconnect", () => {
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
socket.on("resident.state", applyResidentState);
socket.on("chat.message", onChatMessage);
socket.on("queue.position", onQueuePosition);
socket.on("call.start", onCallStart);
socket.on("peer.link", (message) => {
  if (message.consultation_id !== state.consultationId) return;
  state.peerLost = !message.connected;
  renderTalking();
});
socket.on("consultation.closed", onClosed);

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
$("cancel-waiting").addEventListener("click", cancelWaiting);
$("chat-end").addEventListener("click", endTalk);
$("chat-restart").addEventListener("click", startOver);
$("lang-switch").addEventListener("click", async () => {
  const next = language() === "ja" ? "en" : "ja";
  try {
    await setLanguage(next);
    storageSet(LANG_KEY, next);
  } catch {
    banner.show(t("error.offline"));
  }
});
document.addEventListener("i18n:change", () => {
  $("town-name").textContent = document.body.dataset[`town${language()[0].toUpperCase()}${language().slice(1)}`] || "";
  render();
  updateCount();
});

followNewestOnResize();
applyTranslations();
setConnection("connecting");
render();
