// The supervisor's page: every case waiting, every staff member, the booths, today's figures and the alarms of
// the municipalities the supervisor belongs to, live over the /supervisor socket; and three steering actions.
//
// Why it is built this way: the server sends one whole `supervisor.snapshot` per municipality after any change
// (coalesced) and every few seconds, so the page keeps the latest snapshot of each town and redraws from them —
// no diffs to get wrong, and a reconnect simply brings fresh snapshots; only the parts (alarms, queue, staff,
// booths, today) whose content changed are redrawn. A snapshot lists only the head of a big
// queue (the server's QUEUE_ROWS) and counts the rest, so a redraw stays small however many wait. The filter shows one town or all of them
// together. Waiting times tick locally between snapshots from the server's clock (`now`). A new alarm rings
// (ringer.js) unless the supervisor silenced the sound.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { formatDayTime } from "./clock.js";
import { RECEIVE, SEND } from "./events.js";
import { initI18n, t } from "./i18n.js";
import { errorText, nowSeconds, request } from "./net.js";
import { Ringer } from "./ringer.js";

const $ = (id) => document.getElementById(id);
const ROUTES = (document.body.dataset.routes || "").split(" ").filter(Boolean);
const MULTI = (document.body.dataset.municipalities || "").split(" ").filter(Boolean).length > 1;

const state = {
  snapshots: new Map(), // municipality id -> {snapshot, offset}
  filter: "",
  silenced: false,
  seenAlerts: new Set(),
};
const banner = new Banner($("banner"));
const ringer = new Ringer();

function routeName(route) {
  return route ? t(`route.${route}`) : "";
}

function languageName(code) {
  const key = `lang.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "testid") node.dataset.testid = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  if (text !== null) node.textContent = text;
  return node;
}

/** The server's clock now, from the snapshot's `now` and when it arrived. */
function serverNow(entry) {
  return nowSeconds() + entry.offset;
}

function shown() {
  const entries = [...state.snapshots.entries()].filter(([m]) => !state.filter || m === state.filter);
  return entries.map(([, entry]) => entry);
}

function placeText(item) {
  if (item.channel === "chat") return t("console.channel.chat");
  return [item.booth_name, item.place].filter(Boolean).join(" / ");
}

function alertText(alert, entry) {
  const waited = alert.waited_s != null ? durationText(alert.waited_s + (serverNow(entry) - entry.snapshot.now)) : "";
  // stranded for want of a speaker of the language: say so (the remedy is a speaker or an interpreter)
  const key =
    alert.kind === "stranded" && alert.reason === "language"
      ? "sv.alert.stranded_language"
      : alert.kind === "stranded" && alert.count > 1
        ? "sv.alert.stranded_many"
        : `sv.alert.${alert.kind}`;
  return t(key, {
    n: alert.count ?? 1,
    language: alert.language ? languageName(alert.language) : "",
    route: routeName(alert.route),
    waited,
    target: alert.target_s != null ? durationText(alert.target_s) : "",
    booth: [alert.booth_name, alert.place].filter(Boolean).join(" / "),
  });
}

// The advice that says to pick a staff member and press 「この職員に 回す」, when nobody is free to pick (the button
// is greyed): what can be done instead (get someone set 受付可, move the route, promise a call back)
const NOBODY_FREE_ADVICE = {
  "sv.do.stranded": "sv.do.stranded_nobody",
  "sv.do.stranded_language": "sv.do.stranded_language_nobody",
  "sv.do.urgent_waiting": "sv.do.urgent_waiting_nobody",
  "sv.do.over_target": "sv.do.over_target_nobody",
};

function adviceKey(alert, entry) {
  const free = entry.snapshot.agents.some((agent) => agent.activity === "available");
  return (!free && NOBODY_FREE_ADVICE[alert.action]) || alert.action;
}

function renderAlerts(entries) {
  const list = $("sv-alert-list");
  list.replaceChildren();
  const keys = new Set();
  for (const entry of entries) {
    for (const alert of entry.snapshot.alerts) {
      keys.add(`${entry.snapshot.municipality_id}:${alert.key}`);
      const item = el("li", { className: "sv-alert", testid: "sv-alert", "data-kind": alert.kind, "data-key": alert.key });
      if (MULTI) item.append(el("span", { className: "town" }, entry.snapshot.municipality_id));
      item.append(el("p", { className: "what" }, alertText(alert, entry)));
      const advice = adviceKey(alert, entry);
      const todo = el("p", { className: "todo", testid: "sv-alert-todo", "data-advice": advice });
      todo.textContent = t(advice, { language: alert.language ? languageName(alert.language) : "" });
      item.append(todo);
      list.append(item);
    }
  }
  $("sv-alerts-none").hidden = keys.size > 0;
  const fresh = [...keys].some((key) => !state.seenAlerts.has(key));
  state.seenAlerts = keys;
  if (fresh && !state.silenced) ringer.burst();
}

function agentOptions(entry) {
  // only agents free now can be offered a case; when there is none the list says so instead of an empty choice
  const free = entry.snapshot.agents.filter((agent) => agent.activity === "available");
  const prompt = free.length ? t("sv.assign.choose") : t("sv.assign.none");
  const select = el("select", { testid: "sv-assign-agent", "aria-label": prompt });
  select.append(el("option", { value: "" }, prompt));
  for (const agent of free) select.append(el("option", { value: agent.agent_id }, agent.display_name));
  return select;
}

function routeOptions(current) {
  const select = el("select", { testid: "sv-move-route-select", "aria-label": t("sv.move.choose") });
  select.append(el("option", { value: "" }, t("sv.move.choose")));
  for (const route of ROUTES) if (route !== current) select.append(el("option", { value: route }, routeName(route)));
  return select;
}

function agentName(entry, agentId) {
  const agent = entry.snapshot.agents.find((a) => a.agent_id === agentId);
  return agent ? agent.display_name : "";
}

function renderQueue(entries) {
  const list = $("sv-queue-list");
  list.replaceChildren();
  const cases = entries.flatMap((entry) => entry.snapshot.queue.map((item) => ({ item, entry })));
  cases.sort((a, b) => Number(b.item.urgent) - Number(a.item.urgent) || a.item.waiting_since - b.item.waiting_since);
  for (const { item, entry } of cases) {
    const row = el("li", {
      className: "sv-case",
      testid: "sv-case",
      "data-consultation-id": item.consultation_id,
      "data-stranded": String(item.stranded),
      "data-urgent": String(item.urgent),
      "data-state": item.state,
    });
    const head = el("div", { className: "head" }, `${routeName(item.route)} · ${languageName(item.language)}`);
    if (item.urgent) head.append(el("span", { className: "badge badge-urgent" }, t("sv.case.urgent")));
    if (item.stranded) head.append(el("span", { className: "badge badge-stranded" }, t("sv.case.stranded")));
    const waited = el("div", { className: "waited", "data-since": String(item.waiting_since), "data-offset": String(entry.offset) });
    waited.textContent = t("sv.case.waited", { time: durationText(serverNow(entry) - item.waiting_since) });
    const status = item.state === "offered"
      ? t("sv.case.offered", { name: agentName(entry, item.offered_to) })
      : t("sv.case.waiting");
    const meta = el("div", { className: "meta" },
      [placeText(item), t("sv.case.position", { n: item.position }), status, MULTI ? entry.snapshot.municipality_id : ""]
        .filter(Boolean).join(" · "));
    row.append(head, waited, meta);
    if (item.state === "waiting") {
      const actions = el("div", { className: "sv-actions" });
      const agents = agentOptions(entry);
      const assign = el("button", { type: "button", className: "btn btn-primary", testid: "sv-assign" }, t("sv.assign"));
      const pickAgent = agents.options.length > 1 ? "sv.error.pick_agent" : "sv.assign.none";
      assign.addEventListener("click", () => steer(SEND.SUPERVISOR_ASSIGN, agents.value, pickAgent,
        { consultation_id: item.consultation_id, agent_id: agents.value },
        t("sv.done.assign", { name: agentName(entry, agents.value) })));
      // nobody free: the button cannot do anything, so it is greyed and a sentence beside it says why
      const nobody = agents.options.length <= 1;
      assign.disabled = nobody;
      agents.disabled = nobody;
      const why = el("p", { className: "sv-why", testid: "sv-assign-why", id: `sv-why-${item.consultation_id}` },
        t("sv.assign.why_none"));
      why.hidden = !nobody;
      if (nobody) assign.setAttribute("aria-describedby", why.id);
      const routes = routeOptions(item.route);
      const move = el("button", { type: "button", className: "btn btn-secondary", testid: "sv-move-route" }, t("sv.move"));
      move.addEventListener("click", () => steer(SEND.SUPERVISOR_MOVE_ROUTE, routes.value, "sv.error.pick_route",
        { consultation_id: item.consultation_id, route: routes.value }, t("sv.done.move")));
      actions.append(agents, assign, routes, move, why);
      row.append(actions);
    }
    list.append(row);
  }
  // a snapshot lists the head of its town's queue and counts the rest (queue_total): say how many are not shown
  const total = entries.reduce((sum, entry) => sum + (entry.snapshot.queue_total ?? entry.snapshot.queue.length), 0);
  $("sv-queue-empty").hidden = total > 0;
  $("sv-queue-count").textContent = total ? t("sv.queue.count", { n: total }) : "";
  const more = $("sv-queue-more");
  more.hidden = total <= cases.length;
  more.textContent = more.hidden ? "" : t("sv.queue.more", { n: total - cases.length, shown: cases.length });
}

/** A length of time in words: 「6秒」, 「1分4秒」, 「1時間5分」 (「1:04」 read as an hour or a minute). */
function durationText(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h > 0) return t("sv.duration.h", { h, m });
  if (m > 0) return t("sv.duration.m", { m, s });
  return t("sv.duration.s", { s });
}

/** How long an agent has been in their state, in words: 「6秒 前から」, 「3分12秒 前から」 (「0:06 前から」 read as a
 *  clock time): the same duration words as the waits, in the catalog's frame for "since". */
function sinceText(seconds) {
  return t("sv.agent.since", { time: durationText(seconds) });
}

function renderAgents(entries) {
  const list = $("sv-agent-list");
  list.replaceChildren();
  const seen = new Set();
  for (const entry of entries) {
    for (const agent of entry.snapshot.agents) {
      if (seen.has(agent.agent_id)) continue; // an agent of two towns is listed once
      seen.add(agent.agent_id);
      const row = el("li", { className: "sv-agent", testid: "sv-agent", "data-agent-id": agent.agent_id, "data-activity": agent.activity });
      row.append(el("span", { className: "name" }, agent.display_name));
      const label = el("span", { className: "sv-state", "data-activity": agent.activity }, t(`sv.agent.${agent.activity}`));
      row.append(label);
      // a supervisor listed only for their open /supervisor page has no time in state (since: null)
      if (agent.since != null) {
        const since = el("span", { className: "since", "data-since": String(agent.since), "data-offset": String(entry.offset) });
        since.textContent = sinceText(serverNow(entry) - agent.since);
        row.append(since);
      }
      if (agent.activity === "available" || agent.activity === "ringing") {
        const away = el("button", { type: "button", className: "btn btn-secondary", testid: "sv-set-away" }, t("sv.set_away"));
        away.addEventListener("click", () => steer(SEND.SUPERVISOR_SET_AWAY, agent.agent_id, null,
          { agent_id: agent.agent_id }, t("sv.done.away", { name: agent.display_name })));
        row.append(away);
      }
      // a call that ended but whose record (wrap-up) is not sent is not 対応中: say so, and since when the call ended
      if (agent.consultation_route && agent.wrap_up_since != null) {
        row.append(el("span", { className: "case", testid: "sv-agent-wrap-up" }, t("sv.agent.case_wrap_up", {
          route: routeName(agent.consultation_route), time: durationText(serverNow(entry) - agent.wrap_up_since) })));
      } else if (agent.consultation_route) {
        row.append(el("span", { className: "case" }, t("sv.agent.case", { route: routeName(agent.consultation_route) })));
      }
      list.append(row);
    }
  }
  $("sv-agents-empty").hidden = seen.size > 0;
}

/** The link quality of a booth's last call in one line: when, the round trip and loss, freezes, how far the picture
 * had to step down (sv.booth.last_call.*). */
function lastCallLine(call) {
  const line = el("div", { className: "self-test", testid: "sv-booth-last-call" });
  if (!call) {
    line.dataset.state = "none";
    line.textContent = t("sv.booth.last_call.none");
    return line;
  }
  line.dataset.state = "seen";
  const parts = [t("sv.booth.last_call", { time: formatDayTime(call.at) })];
  if (call.rtt_ms !== null && call.rtt_ms !== undefined) {
    parts.push(t("sv.booth.selftest.echo", { rtt: Math.round(call.rtt_ms), loss: Math.round(call.loss_pct ?? 0) }));
  }
  if (call.freezes) parts.push(t("sv.booth.last_call.freezes", { count: call.freezes }));
  const step = { "low-video": "low_video", audio: "audio", chat: "chat" }[call.worst_step];
  if (step) parts.push(t(`sv.booth.last_call.step.${step}`));
  line.textContent = parts.join(" / ");
  return line;
}

/** A booth's last self-test in one line: when, the verdict and what to look at, and the echo call's numbers. */
function selfTestLine(test) {
  const line = el("div", { className: "self-test", testid: "sv-booth-self-test" });
  if (!test) {
    line.dataset.state = "none";
    line.textContent = t("sv.booth.selftest.none");
    return line;
  }
  line.dataset.state = test.state;
  line.dataset.at = String(test.at);
  const time = formatDayTime(test.at); // the town's zone like every other time here, not the browser's
  const items = (test.items || []).map((item) => t(`booth.selftest.${item}`)).join("・");
  const parts = [t(`sv.booth.selftest.${test.state}`, { time, items })];
  if (test.rtt_ms !== null && test.rtt_ms !== undefined) {
    parts.push(t("sv.booth.selftest.echo", { rtt: Math.round(test.rtt_ms), loss: Math.round(test.loss_pct ?? 0) }));
  }
  if (test.audio === false) parts.push(t("sv.booth.selftest.no_audio"));
  line.textContent = parts.join(" / ");
  return line;
}

function renderBooths(entries) {
  const list = $("sv-booth-list");
  list.replaceChildren();
  let count = 0;
  for (const entry of entries) {
    for (const booth of entry.snapshot.booths) {
      count += 1;
      const row = el("li", { className: "sv-booth", testid: "sv-booth", "data-booth-id": booth.booth_id, "data-online": String(booth.online) });
      // the name on a line of its own, the place under it: 「潮見港郵便局ブース / 潮見港」 broke mid-word on a card
      row.append(el("div", { className: "name" }, booth.name));
      if (booth.place) row.append(el("div", { className: "place" }, booth.place));
      row.append(el("div", { className: "status" }, t(booth.online ? "sv.booth.online" : "sv.booth.offline")));
      // an offline booth: when it was last seen connected (while this page's server has known it), so a booth
      // that dropped a minute ago reads differently from one that has been dark since yesterday
      if (!booth.online && booth.last_seen != null) {
        row.append(el("div", { className: "self-test", testid: "sv-booth-last-seen" }, t("sv.booth.last_seen", { time: formatDayTime(booth.last_seen) })));
      }
      row.append(selfTestLine(booth.self_test));
      row.append(lastCallLine(booth.last_call));
      list.append(row);
    }
  }
  $("sv-booths-empty").hidden = count > 0;
}

function renderToday(entries) {
  const sum = (key) => entries.reduce((total, entry) => total + entry.snapshot.today[key], 0);
  const figures = {};
  for (const key of ["received", "answered", "callbacks", "abandoned", "short_abandoned", "in_hand", "waiting"]) {
    figures[key] = sum(key) || 0;
    if (key !== "in_hand") $(`sv-today-${key}`).textContent = String(figures[key]);
  }
  // what each figure counts, and that they add up (call-back requests were counted nowhere)
  $("sv-today-sum").textContent = t("sv.today.sum", { ...figures, short: figures.short_abandoned });
  const longest = Math.max(0, ...entries.map((e) => e.snapshot.today.longest_wait_s + (e.snapshot.today.waiting ? serverNow(e) - e.snapshot.now : 0)));
  $("sv-today-longest").textContent = durationText(longest);
}

function render() {
  const entries = shown();
  renderAlerts(entries);
  renderToday(entries);
  renderQueue(entries);
  renderAgents(entries);
  renderBooths(entries);
}

/** Only the clocks move between snapshots (and in parts a snapshot did not redraw): waiting times, time in state,
 *  the longest wait. */
function tick() {
  const entries = shown();
  for (const node of document.querySelectorAll(".sv-case .waited")) {
    const now = nowSeconds() + Number(node.dataset.offset);
    node.textContent = t("sv.case.waited", { time: durationText(now - Number(node.dataset.since)) });
  }
  for (const node of document.querySelectorAll(".sv-agent .since")) {
    const now = nowSeconds() + Number(node.dataset.offset);
    node.textContent = sinceText(now - Number(node.dataset.since));
  }
  if (entries.length) renderToday(entries);
}

async function steer(event, chosen, missingKey, payload, doneText) {
  if (missingKey && !chosen) {
    banner.show(t(missingKey), { kind: "error" });
    return;
  }
  ringer.unlock();
  try {
    await request(socket, event, payload);
    banner.show(doneText, { kind: "info" });
  } catch (err) {
    banner.show(err.code === "agent_busy" ? t("sv.error.agent_busy") : errorText(err), { kind: "error" });
  }
}

// Each part of the page and what of a snapshot it shows, in the order render() draws them.
const PARTS = [
  // the advice follows whether anyone is free to hand a case to
  [(s) => [s.alerts, s.agents.some((agent) => agent.activity === "available")], renderAlerts],
  [(s) => s.today, renderToday],
  [(s) => [s.queue, s.queue_total, s.agents], renderQueue], // its offer-to list names the staff
  [(s) => s.agents, renderAgents],
  [(s) => s.booths, renderBooths],
];

function applySnapshot(snapshot) {
  const before = state.snapshots.get(snapshot.municipality_id);
  state.snapshots.set(snapshot.municipality_id, { snapshot, offset: snapshot.now - nowSeconds() });
  const entries = shown();
  // redraw only the parts this snapshot changed: a long list of booths or staff that did not move is not rebuilt
  // (thousands of elements) for every change elsewhere
  for (const [part, draw] of PARTS) {
    if (!before || JSON.stringify(part(before.snapshot)) !== JSON.stringify(part(snapshot))) draw(entries);
  }
}

await initI18n();
banner.show(t("sv.connecting"), { sticky: true });

const socket = io("/supervisor", { transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
socket.on("connect", () => banner.hide());
socket.on("disconnect", () => banner.show(t("sv.offline"), { kind: "error", sticky: true }));
socket.on("connect_error", (err) => {
  if (err && err.data && (err.data.code === "forbidden" || err.data.code === "unauthorized")) {
    socket.disconnect();
    banner.show(t("sv.refused"), { kind: "error", sticky: true });
  } else {
    banner.show(t("sv.offline"), { kind: "error", sticky: true });
  }
});
socket.on(RECEIVE.SUPERVISOR_SNAPSHOT, applySnapshot);

$("sv-filter").addEventListener("change", (e) => {
  state.filter = e.target.value;
  render();
});
$("sv-sound").addEventListener("click", () => {
  state.silenced = !state.silenced;
  const button = $("sv-sound");
  button.setAttribute("aria-pressed", String(state.silenced));
  button.dataset.i18n = state.silenced ? "sv.sound.enable" : "sv.sound.silence";
  button.textContent = t(button.dataset.i18n);
  if (!state.silenced) ringer.unlock();
});
document.addEventListener("click", () => ringer.unlock(), { once: true });
document.addEventListener("i18n:change", render);
setInterval(tick, 1000);
