// The supervisor's page: every case waiting, every staff member, the booths, today's figures and the alarms of
// the municipalities the supervisor belongs to, live over the /supervisor socket; and three steering actions.
//
// Why it is built this way: on joining, the server sends each town's whole view (`supervisor.snapshot`, with a
// version); after changes (coalesced) it sends only what changed (`supervisor.delta`: queue rows, staff and booths
// added, changed or gone by id, today's figures and the alarms whole when they changed) on top of the version the
// page holds. A delta on any other version (one was missed) makes the page ask for the whole view again
// (`supervisor.resync`). The lists are redrawn row by row, keyed by id: a row whose content did not change keeps
// its elements, and a changed row keeps its <select>s (their choice, focus and an open list) and has only its
// options brought up to date, so a supervisor choosing a staff member is never interrupted by an update elsewhere.
// A view lists only the head of a big queue (QUEUE_ROWS) and the booths needing attention first (BOOTH_ROWS) and
// counts the rest; the other booths come a page at a time on request. The filter shows one town or all of them
// together. Waiting times tick locally from the server's clock (`now`). A new alarm rings (ringer.js) unless the
// supervisor silenced the sound.

import { io } from "/static/vendor/socket.io.esm.min.js";
import { Banner } from "./banner.js";
import { formatShortDayTime } from "./dates.js";
import { RECEIVE, SEND } from "./events.js";
import { initI18n, language, t } from "./i18n.js";
import { errorText, nowSeconds, request } from "./net.js";
import { Ringer } from "./ringer.js";

const $ = (id) => document.getElementById(id);
const ROUTES = (document.body.dataset.routes || "").split(" ").filter(Boolean);
const MULTI = (document.body.dataset.municipalities || "").split(" ").filter(Boolean).length > 1;

const state = {
  // municipality id -> {snapshot (the view as of its version), offset (server clock - ours), alertsNow and todayNow
  // (the server's now when the alarms and today's figures last came: their waits count from then)}
  snapshots: new Map(),
  resyncing: new Map(), // municipality id -> deltas that came while its whole view was asked for again
  extraBooths: new Map(), // municipality id -> booths beyond the view's, fetched on request (supervisor.booths)
  refreshingBooths: new Map(), // municipality id -> whether to fetch them again once the fetch under way is done
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
  // the booth's name in the page's language when the admin gave one (session 16), else its Japanese name
  return [item.booth_names?.[language()] || item.booth_name, item.place].filter(Boolean).join(" / ");
}

function alertText(alert, entry) {
  const waited = alert.waited_s != null ? durationText(alert.waited_s + (serverNow(entry) - entry.alertsNow)) : "";
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
      item.append(el("p", { className: "what", "data-municipality": entry.snapshot.municipality_id, "data-key": alert.key }, alertText(alert, entry)));
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

/** The staff a waiting case can be offered to now (only agents free now), as [value, text] options. */
function agentChoices(entry) {
  const free = entry.snapshot.agents.filter((agent) => agent.activity === "available");
  const prompt = free.length ? t("sv.assign.choose") : t("sv.assign.none");
  return { prompt, options: [["", prompt], ...free.map((agent) => [agent.agent_id, agent.display_name])] };
}

function routeChoices(current) {
  const prompt = t("sv.move.choose");
  return { prompt, options: [["", prompt], ...ROUTES.filter((route) => route !== current).map((route) => [route, routeName(route)])] };
}

/** A <select>'s options brought to `options` in place: the element stays (an open list, focus and the choice are
 *  kept: a whole redraw used to lose a row's select), its chosen value too while it is still offered. */
function syncOptions(select, options) {
  const now = [...select.options].map((option) => [option.value, option.textContent]);
  if (JSON.stringify(now) === JSON.stringify(options)) return;
  const chosen = select.value;
  options.forEach(([value, text], i) => {
    let option = select.options[i];
    if (!option) option = select.appendChild(el("option"));
    // the attribute, not .value: an <option> without one takes its text as its value, so the prompt's "" was
    // never set, select.value = "" then matched nothing and the box showed blank (ux14)
    if (option.getAttribute("value") !== value) option.value = value;
    if (option.textContent !== text) option.textContent = text;
  });
  while (select.options.length > options.length) select.lastElementChild.remove();
  select.value = options.some(([value]) => value === chosen) ? chosen : "";
}

/** The latest view of a town (for a click: the row's handlers outlive the delta that drew them). */
function entryOf(municipalityId) {
  return state.snapshots.get(municipalityId);
}

/** Rows brought to `items` keyed by `key`, in order: a row whose `signature` did not change is left alone, a changed
 *  one is filled again by `fill` (in place: the same <li>), a new one made; rows of keys gone are removed. A row is
 *  moved only when it is out of place (moving an element closes its open <select> and drops its focus). */
const signatures = new WeakMap();
function reconcile(list, items, key, signature, fill, make) {
  const rows = new Map([...list.children].map((row) => [row.dataset.key, row]));
  const wanted = new Set(items.map(key));
  for (const [k, row] of rows) if (!wanted.has(k)) row.remove();
  let at = list.firstElementChild;
  for (const item of items) {
    const k = key(item);
    const sig = signature(item);
    let row = rows.get(k);
    if (!row) {
      row = make(item);
      row.dataset.key = k;
    }
    if (signatures.get(row) !== sig) {
      fill(row, item);
      signatures.set(row, sig);
    }
    if (row === at) at = at.nextElementSibling;
    else list.insertBefore(row, at);
  }
}

/** A row that holds the focus (a button, a select) gets it back after its content was drawn again. */
function keepingFocus(row, draw) {
  const focused = row.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
  draw();
  if (focused && !row.contains(document.activeElement)) row.querySelector(`[data-testid="${focused}"]`)?.focus();
}

function caseActions(row) {
  const m = row.dataset.municipality;
  const id = row.dataset.consultationId;
  const actions = el("div", { className: "sv-actions" });
  const agents = el("select", { testid: "sv-assign-agent", id: `sv-agent-${id}` });
  const assign = el("button", { type: "button", className: "btn btn-primary", testid: "sv-assign" }, t("sv.assign"));
  assign.addEventListener("click", () => {
    const entry = entryOf(m);
    const pickAgent = agents.options.length > 1 ? "sv.error.pick_agent" : "sv.assign.none";
    steer(SEND.SUPERVISOR_ASSIGN, agents.value, pickAgent, { consultation_id: id, agent_id: agents.value },
      t("sv.done.assign", { name: entry ? agentName(entry, agents.value) : "" }));
  });
  const why = el("p", { className: "sv-why", testid: "sv-assign-why", id: `sv-why-${id}` }, t("sv.assign.why_none"));
  const routes = el("select", { testid: "sv-move-route-select", id: `sv-route-${id}` });
  const move = el("button", { type: "button", className: "btn btn-secondary", testid: "sv-move-route" }, t("sv.move"));
  move.addEventListener("click", () => steer(SEND.SUPERVISOR_MOVE_ROUTE, routes.value, "sv.error.pick_route",
    { consultation_id: id, route: routes.value }, t("sv.done.move")));
  // each box with its label and its button on one line (ux14: 「窓口を 変える」 fell under its box, and the boxes
  // had no word beside them)
  const label = (select, key) => el("label", { className: "sv-action-label", for: select.id, "data-i18n": key }, t(key));
  const toAgent = el("div", { className: "sv-action" });
  toAgent.append(label(agents, "sv.assign.label"), agents, assign);
  const toRoute = el("div", { className: "sv-action" });
  toRoute.append(label(routes, "sv.move.label"), routes, move);
  actions.append(toAgent, toRoute, why);
  return actions;
}

function syncActions(actions, item, entry) {
  const agents = actions.querySelector('[data-testid="sv-assign-agent"]');
  const assign = actions.querySelector('[data-testid="sv-assign"]');
  const routes = actions.querySelector('[data-testid="sv-move-route-select"]');
  const why = actions.querySelector('[data-testid="sv-assign-why"]');
  const choice = agentChoices(entry);
  syncOptions(agents, choice.options);
  agents.setAttribute("aria-label", choice.prompt);
  // nobody free: the button cannot do anything, so it is greyed and a sentence beside it says why
  const nobody = choice.options.length <= 1;
  assign.disabled = nobody;
  agents.disabled = nobody;
  why.hidden = !nobody;
  if (nobody) assign.setAttribute("aria-describedby", why.id);
  else assign.removeAttribute("aria-describedby");
  const route = routeChoices(item.route);
  syncOptions(routes, route.options);
  routes.setAttribute("aria-label", route.prompt);
}

function fillCaseRow(row, item, entry) {
  Object.assign(row.dataset, {
    municipality: entry.snapshot.municipality_id,
    consultationId: item.consultation_id,
    stranded: String(item.stranded),
    urgent: String(item.urgent),
    state: item.state,
  });
  const head = el("div", { className: "head" }, `${routeName(item.route)} · ${languageName(item.language)}`);
  if (item.urgent) head.append(el("span", { className: "badge badge-urgent" }, t("sv.case.urgent")));
  if (item.stranded) head.append(el("span", { className: "badge badge-stranded" }, t("sv.case.stranded")));
  // a booked resident, as the console's queue says it (ux14: the console showed 予約あり, this page nothing)
  if (item.booked) head.append(el("span", { className: "badge badge-booked", testid: "sv-case-booked" }, t("sv.case.booked")));
  const waited = el("div", { className: "waited", "data-since": String(item.waiting_since) });
  waited.textContent = t("sv.case.waited", { time: durationText(serverNow(entry) - item.waiting_since) });
  const status = item.state === "offered"
    ? t("sv.case.offered", { name: agentName(entry, item.offered_to) })
    : t("sv.case.waiting");
  const meta = el("div", { className: "meta" },
    [placeText(item), t("sv.case.position", { n: item.position }), status, MULTI ? entry.snapshot.municipality_id : ""]
      .filter(Boolean).join(" · "));
  // the texts are drawn again; the actions (and their selects) stay the same elements
  let actions = row.querySelector(":scope > .sv-actions");
  for (const child of [...row.children]) if (child !== actions) child.remove();
  row.prepend(head, waited, meta);
  if (item.state === "waiting") {
    if (!actions) row.append((actions = caseActions(row)));
    syncActions(actions, item, entry);
  } else if (actions) {
    actions.remove();
  }
}

function agentName(entry, agentId) {
  const agent = entry.snapshot.agents.find((a) => a.agent_id === agentId);
  return agent ? agent.display_name : "";
}

function renderQueue(entries) {
  const list = $("sv-queue-list");
  const cases = entries.flatMap((entry) => entry.snapshot.queue.map((item) => ({ item, entry })));
  cases.sort((a, b) => Number(b.item.urgent) - Number(a.item.urgent) || a.item.waiting_since - b.item.waiting_since);
  reconcile(
    list,
    cases,
    ({ item }) => item.consultation_id,
    // what the row shows: the case (not its waited_s: the clock), and the staff its offer-to list names
    ({ item, entry }) => JSON.stringify([{ ...item, waited_s: 0 }, agentChoices(entry).options, agentName(entry, item.offered_to)]),
    (row, { item, entry }) => fillCaseRow(row, item, entry),
    () => el("li", { className: "sv-case", testid: "sv-case" }),
  );
  // a view lists the head of its town's queue and counts the rest (queue_total): say how many are not shown
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

function fillAgentRow(row, agent, entry) {
  Object.assign(row.dataset, { agentId: agent.agent_id, activity: agent.activity });
  keepingFocus(row, () => {
    row.replaceChildren();
    row.append(el("span", { className: "name" }, agent.display_name));
    row.append(el("span", { className: "sv-state", "data-activity": agent.activity }, t(`sv.agent.${agent.activity}`)));
    // a supervisor listed only for their open /supervisor page has no time in state (since: null)
    if (agent.since != null) {
      const since = el("span", { className: "since", "data-since": String(agent.since), "data-municipality": entry.snapshot.municipality_id });
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
  });
}

function renderAgents(entries) {
  const seen = new Set();
  const agents = [];
  for (const entry of entries) {
    for (const agent of entry.snapshot.agents) {
      if (seen.has(agent.agent_id)) continue; // an agent of two towns is listed once
      seen.add(agent.agent_id);
      agents.push({ agent, entry });
    }
  }
  reconcile(
    $("sv-agent-list"),
    agents,
    ({ agent }) => agent.agent_id,
    ({ agent }) => JSON.stringify(agent),
    (row, { agent, entry }) => fillAgentRow(row, agent, entry),
    () => el("li", { className: "sv-agent", testid: "sv-agent" }),
  );
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
  const parts = [t("sv.booth.last_call", { time: formatShortDayTime(call.at) })];
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
  const time = formatShortDayTime(test.at); // the town's zone like every other time here, not the browser's
  const items = (test.items || []).map((item) => t(`booth.selftest.${item}`)).join("・");
  const parts = [t(`sv.booth.selftest.${test.state}`, { time, items })];
  if (test.rtt_ms !== null && test.rtt_ms !== undefined) {
    parts.push(t("sv.booth.selftest.echo", { rtt: Math.round(test.rtt_ms), loss: Math.round(test.loss_pct ?? 0) }));
  }
  if (test.audio === false) parts.push(t("sv.booth.selftest.no_audio"));
  line.textContent = parts.join(" / ");
  return line;
}

function fillBoothRow(row, booth) {
  Object.assign(row.dataset, { boothId: booth.booth_id, online: String(booth.online) });
  row.replaceChildren();
  // the name on a line of its own, the place under it: 「潮見港郵便局ブース / 潮見港」 broke mid-word on a card
  row.append(el("div", { className: "name" }, booth.name));
  if (booth.place) row.append(el("div", { className: "place" }, booth.place));
  row.append(el("div", { className: "status" }, t(booth.online ? "sv.booth.online" : "sv.booth.offline")));
  // an offline booth: when it was last seen connected (while this page's server has known it), so a booth
  // that dropped a minute ago reads differently from one that has been dark since yesterday
  if (!booth.online && booth.last_seen != null) {
    row.append(el("div", { className: "self-test", testid: "sv-booth-last-seen" }, t("sv.booth.last_seen", { time: formatShortDayTime(booth.last_seen) })));
  }
  row.append(selfTestLine(booth.self_test));
  row.append(lastCallLine(booth.last_call));
}

/** What a booth row shows (an online booth's last_seen is the view's now: not shown, not a change). */
function boothSignature(booth) {
  return JSON.stringify(booth.online ? { ...booth, last_seen: null } : booth);
}

function boothRows(list, booths) {
  reconcile(list, booths, (booth) => booth.booth_id, boothSignature, fillBoothRow,
    () => el("li", { className: "sv-booth", testid: "sv-booth" }));
}

function renderBooths(entries) {
  const listed = entries.flatMap((entry) => entry.snapshot.booths);
  boothRows($("sv-booth-list"), listed);
  // the booths fetched on request (ほかの ブースも 見る), but not those the view lists now
  const ids = new Set(listed.map((booth) => booth.booth_id));
  const extra = entries.flatMap((entry) => state.extraBooths.get(entry.snapshot.municipality_id) || []);
  boothRows($("sv-booth-extra"), extra.filter((booth) => !ids.has(booth.booth_id)));
  // a big town's view lists the booths needing attention first and counts them all: say how many are not shown
  const total = entries.reduce((sum, entry) => sum + (entry.snapshot.booths_total ?? entry.snapshot.booths.length), 0);
  const online = entries.reduce((sum, entry) => sum + (entry.snapshot.booths_online ?? entry.snapshot.booths.filter((b) => b.online).length), 0);
  const shownCount = listed.length + extra.length;
  const more = $("sv-booths-more");
  more.hidden = total <= listed.length;
  more.textContent = more.hidden ? "" : t("sv.booths.more", { n: total - listed.length, online, shown: listed.length });
  $("sv-booths-show-more").hidden = total <= shownCount;
  $("sv-booths-empty").hidden = total > 0;
}

/** The booths this page holds beyond a town's listed ones, fetched again from where the view's list ends now, as
 *  many as it held: after a change among them (the view's `booths_rest`) or in the listed ones (a booth moving
 *  between the two). One fetch at a time per town; a change meanwhile fetches once more after it. (tidy14: they were
 *  fetched once and went stale until a reload, and a booth that left the view vanished from both lists.) */
async function refreshBooths(m) {
  const held = state.extraBooths.get(m);
  if (!held || !held.length) return;
  if (state.refreshingBooths.has(m)) {
    state.refreshingBooths.set(m, true); // again when this one is done
    return;
  }
  state.refreshingBooths.set(m, false);
  try {
    const entry = state.snapshots.get(m);
    if (!entry) return;
    const offset = entry.snapshot.booths.length;
    const want = Math.min(held.length, Math.max(0, (entry.snapshot.booths_total ?? 0) - offset));
    const rows = [];
    while (rows.length < want) {
      const page = await request(socket, SEND.SUPERVISOR_BOOTHS,
        { municipality_id: m, offset: offset + rows.length, limit: Math.min(100, want - rows.length) });
      rows.push(...page.booths);
      if (!page.booths.length) break;
    }
    state.extraBooths.set(m, rows);
    if (!state.filter || state.filter === m) renderBooths(shown());
  } catch (err) {
    console.warn("supervisor: the booths beyond the list were not fetched again", err.code || err);
  } finally {
    const again = state.refreshingBooths.get(m);
    state.refreshingBooths.delete(m);
    if (again) refreshBooths(m);
  }
}

/** The next page of each shown town's booths beyond those listed and fetched (supervisor.booths). */
async function moreBooths() {
  for (const entry of shown()) {
    const m = entry.snapshot.municipality_id;
    const fetched = state.extraBooths.get(m) || [];
    const offset = entry.snapshot.booths.length + fetched.length;
    if (offset >= (entry.snapshot.booths_total ?? 0)) continue;
    try {
      const page = await request(socket, SEND.SUPERVISOR_BOOTHS, { municipality_id: m, offset, limit: 100 });
      state.extraBooths.set(m, [...fetched, ...page.booths]);
    } catch (err) {
      banner.show(errorText(err), { kind: "error" });
      return;
    }
  }
  renderBooths(shown());
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
  const longest = Math.max(0, ...entries.map((e) => e.snapshot.today.longest_wait_s + (e.snapshot.today.waiting ? serverNow(e) - e.todayNow : 0)));
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

/** Everything drawn again from nothing (the language changed: every row's words). */
function redrawAll() {
  for (const id of ["sv-queue-list", "sv-agent-list", "sv-booth-list", "sv-booth-extra"]) $(id).replaceChildren();
  render();
}

/** Only the clocks move between updates: waiting times, time in state, the alarms' waits, the longest wait. */
function tick() {
  const entries = shown();
  for (const node of document.querySelectorAll(".sv-case .waited")) {
    const entry = entryOf(node.parentElement.dataset.municipality);
    if (entry) node.textContent = t("sv.case.waited", { time: durationText(serverNow(entry) - Number(node.dataset.since)) });
  }
  for (const node of document.querySelectorAll(".sv-agent .since")) {
    const entry = entryOf(node.dataset.municipality);
    if (entry) node.textContent = sinceText(serverNow(entry) - Number(node.dataset.since));
  }
  for (const node of document.querySelectorAll("#sv-alert-list .what")) {
    const entry = entryOf(node.dataset.municipality);
    const alert = entry && entry.snapshot.alerts.find((a) => a.key === node.dataset.key);
    if (alert) node.textContent = alertText(alert, entry);
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

/** A town's whole view (on joining, or the resync's answer): kept with its version, and every part drawn (rows
 *  that did not change keep their elements). Deltas that came while it was asked for are applied on top. */
function applySnapshot(snapshot) {
  const m = snapshot.municipality_id;
  state.snapshots.set(m, { snapshot, offset: snapshot.now - nowSeconds(), alertsNow: snapshot.now, todayNow: snapshot.now });
  const waiting = state.resyncing.get(m) || [];
  state.resyncing.delete(m);
  render();
  refreshBooths(m); // a whole view (a resync, a reconnection): the booths held beyond it may have changed meanwhile
  for (const delta of waiting) if (delta.version > state.snapshots.get(m).snapshot.version) applyDelta(delta);
}

/** Rows merged by id: changed ones replaced where they were, new ones after, gone ones dropped. */
function merged(rows, upserts, removed, key) {
  const gone = new Set(removed);
  const changed = new Map(upserts.map((row) => [key(row), row]));
  const kept = rows.filter((row) => !gone.has(key(row))).map((row) => {
    const next = changed.get(key(row));
    changed.delete(key(row));
    return next || row;
  });
  return [...kept, ...changed.values()];
}

const byName = (a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : a.agent_id < b.agent_id ? -1 : a.agent_id > b.agent_id ? 1 : 0);

/** What changed in a town's view since the version the page holds: merged into it, and only those parts drawn
 *  (the alarms' advice and the queue's offer-to lists follow the staff too). A delta on another version (one was
 *  missed) asks for the whole view again; deltas meanwhile wait for it. */
function applyDelta(delta) {
  const m = delta.municipality_id;
  if (state.resyncing.has(m)) {
    state.resyncing.get(m).push(delta);
    return;
  }
  const entry = state.snapshots.get(m);
  if (!entry) return; // the whole view comes on joining
  if (entry.snapshot.version !== delta.base) {
    resync(m);
    return;
  }
  const view = { ...entry.snapshot, version: delta.version, now: delta.now };
  if (delta.queue) {
    view.queue = merged(view.queue, delta.queue.upserts, delta.queue.removed, (c) => c.consultation_id);
    view.queue_total = delta.queue.total;
  }
  if (delta.agents) view.agents = merged(view.agents, delta.agents.upserts, delta.agents.removed, (a) => a.agent_id).sort(byName);
  if (delta.booths) {
    const rows = new Map(merged(view.booths, delta.booths.upserts, delta.booths.removed, (b) => b.booth_id).map((b) => [b.booth_id, b]));
    view.booths = delta.booths.order.map((id) => rows.get(id)).filter(Boolean);
    view.booths_total = delta.booths.total;
    view.booths_online = delta.booths.online;
    view.booths_rest = delta.booths.rest ?? null;
  }
  if (delta.today) view.today = delta.today;
  if (delta.alerts) view.alerts = delta.alerts;
  state.snapshots.set(m, {
    snapshot: view,
    offset: delta.now - nowSeconds(),
    alertsNow: delta.alerts ? delta.now : entry.alertsNow,
    todayNow: delta.today ? delta.now : entry.todayNow,
  });
  if (delta.booths) refreshBooths(m); // the booths held beyond the list: a change among them, or one moved
  if (state.filter && state.filter !== m) return; // not shown now: drawn when the filter shows it
  const entries = shown();
  if (delta.alerts || delta.agents) renderAlerts(entries);
  if (delta.today) renderToday(entries);
  if (delta.queue || delta.agents) renderQueue(entries);
  if (delta.agents) renderAgents(entries);
  if (delta.booths) renderBooths(entries);
}

async function resync(m) {
  if (state.resyncing.has(m)) return;
  state.resyncing.set(m, []);
  try {
    const ack = await request(socket, SEND.SUPERVISOR_RESYNC, { municipality_id: m });
    applySnapshot(ack.snapshot);
  } catch {
    state.resyncing.delete(m); // the next delta asks again; a reconnect brings whole views
  }
}

await initI18n();
banner.show(t("sv.connecting"), { sticky: true });

const socket = io("/supervisor", { transports: ["websocket", "polling"], reconnectionDelayMax: 10000 });
socket.on("connect", () => banner.hide());
socket.on("disconnect", () => {
  state.resyncing.clear(); // a reconnect brings each town's whole view
  banner.show(t("sv.offline"), { kind: "error", sticky: true });
});
socket.on("connect_error", (err) => {
  if (err && err.data && (err.data.code === "forbidden" || err.data.code === "unauthorized")) {
    socket.disconnect();
    banner.show(t("sv.refused"), { kind: "error", sticky: true });
  } else {
    banner.show(t("sv.offline"), { kind: "error", sticky: true });
  }
});
socket.on(RECEIVE.SUPERVISOR_SNAPSHOT, applySnapshot);
socket.on(RECEIVE.SUPERVISOR_DELTA, applyDelta);

$("sv-filter").addEventListener("change", (e) => {
  state.filter = e.target.value;
  render();
});
$("sv-booths-show-more").addEventListener("click", moreBooths);
$("sv-sound").addEventListener("click", () => {
  state.silenced = !state.silenced;
  const button = $("sv-sound");
  button.setAttribute("aria-pressed", String(state.silenced));
  button.dataset.i18n = state.silenced ? "sv.sound.enable" : "sv.sound.silence";
  button.textContent = t(button.dataset.i18n);
  if (!state.silenced) ringer.unlock();
});
document.addEventListener("click", () => ringer.unlock(), { once: true });
document.addEventListener("i18n:change", redrawAll);
setInterval(tick, 1000);
