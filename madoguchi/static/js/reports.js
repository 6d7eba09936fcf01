// The reports page: read the filters, ask /api/reports/kpis, fill the tiles, tables and charts, and point the
// export links at the filters of the figures on screen (never at a range the page refused, nor at a filter
// changed but not yet shown): with no figures on screen the links are off and a sentence says why.
//
// Why the figures come from the API rather than the first paint: the same JSON serves other tools, and
// changing a filter must not reload the page. Charts use the vendored Chart.js (window.Chart, loaded by a
// deferred classic script before this module runs); no CDN. Dates are local calendar days (Japan time).

import { initI18n, language, t } from "./i18n.js";

const form = document.getElementById("report-filters");
const statusLine = document.getElementById("report-status");
const extraLine = document.getElementById("report-extra");
const charts = new Map();
let lastReport = null;
let shownFilters = null; // the filters of the figures on screen (URLSearchParams), null while none are

function isoDaysBefore(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d - days));
  return day.toISOString().slice(0, 10);
}

function filterParams() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value) params.set(name, value);
  return params;
}

function formatCount(value) {
  // "easy-ja" is no locale tag: toLocaleString would throw and the page would say the server is unreachable
  const locale = language() === "easy-ja" ? "ja-JP" : language();
  return value === null || value === undefined ? "—" : Number(value).toLocaleString(locale);
}

function formatRate(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return minutes > 0 ? t("reports.duration.min_sec", { m: minutes, s: rest }) : t("reports.duration.sec", { s: rest });
}

const TILES = [
  ["kpi-volume", "volume", formatCount],
  ["kpi-answered", "answered", formatCount],
  ["kpi-abandoned", "abandoned", formatCount],
  ["kpi-callbacks", "callbacks", formatCount],
  ["kpi-abandon-rate", "abandon_rate", formatRate],
  ["kpi-asa", "asa_s", formatDuration],
  ["kpi-wait-p90", "wait_p90_s", formatDuration],
  ["kpi-service-level", "service_level", formatRate],
  ["kpi-aht", "aht_s", formatDuration],
  ["kpi-bot-containment", "bot_containment", formatRate],
];

function routeName(route) {
  return t(`route.${route}`);
}

function drawBar(id, labels, values, label) {
  const Chart = window.Chart;
  const canvas = document.getElementById(id);
  if (!Chart || !canvas) return;
  const existing = charts.get(id);
  if (existing) {
    existing.data.labels = labels;
    existing.data.datasets[0].data = values;
    existing.data.datasets[0].label = label;
    existing.update();
    return;
  }
  charts.set(
    id,
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ label, data: values, backgroundColor: "#0a4fa3" }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    }),
  );
}

function fillTable(testid, head, rows) {
  const table = document.querySelector(`[data-testid="${testid}"]`);
  const headRow = document.createElement("tr");
  for (const text of head) {
    const th = document.createElement("th");
    th.textContent = text;
    headRow.append(th);
  }
  table.tHead.replaceChildren(headRow);
  const body = rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  table.tBodies[0].replaceChildren(...body);
}

function render(report) {
  for (const [id, key, format] of TILES) document.getElementById(id).textContent = format(report[key]);
  extraLine.textContent = t("reports.extra", {
    short: formatCount(report.abandoned_short),
    p50: formatDuration(report.wait_p50_s),
    target: formatDuration(report.service_level_target_s),
    handoff: formatRate(report.handoff_rate),
    satisfaction: report.satisfaction === null ? "—" : String(report.satisfaction),
  });
  const unit = t("reports.chart.count");
  drawBar("chart-hourly", report.by_hour.map((_, hour) => t("reports.hour", { h: hour })), report.by_hour, unit);
  drawBar(
    "chart-weekday",
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((day) => t(`reports.weekday.${day}`)),
    report.by_weekday,
    unit,
  );
  const booths = Object.entries(report.by_booth);
  drawBar(
    "chart-booth",
    booths.map(([id]) => report.names.booths[id] ?? id),
    booths.map(([, figures]) => figures.volume),
    unit,
  );
  // A call-back request is the route's (nobody answered it), never an agent's: the agent table leaves it out.
  const columns = (withCallbacks) =>
    [
      ["volume", (f) => formatCount(f.volume)],
      ["answered", (f) => formatCount(f.answered)],
      ["abandoned", (f) => formatCount(f.abandoned)],
      ...(withCallbacks ? [["callbacks", (f) => formatCount(f.callbacks)]] : []),
      ["asa", (f) => formatDuration(f.asa_s)],
      ["service_level", (f) => formatRate(f.service_level)],
      ["aht", (f) => formatDuration(f.aht_s)],
    ];
  const table = (testid, first, entries, name, withCallbacks) => {
    const cols = columns(withCallbacks);
    fillTable(
      testid,
      [first, ...cols.map(([key]) => t(`reports.kpi.${key}`))],
      entries.map(([id, figures]) => [name(id), ...cols.map(([, cell]) => cell(figures))]),
    );
  };
  table("report-by-route", t("reports.filter.route"), Object.entries(report.by_route), routeName, true);
  table(
    "report-by-agent",
    t("reports.table.agent"),
    Object.entries(report.by_agent),
    (id) => report.names.agents[id] ?? id,
    false,
  );
}

// Bookings (予約): the same figures as `madoguchi bookings report` (GET /api/staff/bookings/report), for the
// chosen days and filters. A booking has a route and a place but no booth or channel of its own: a booth stands
// for its place, and the channel for the bookings made for it (booth: at a booth, chat: video from home); the
// page says so under the heading (reports.bookings.filters_note), the rule itself is in madoguchi/bookings/kpis.py.
let lastBookings = null;
let placeNames = {}; // place id -> { language: name }, from the booking options (the municipality file's places)
const BOOKING_FILTERS = ["municipality", "route", "place", "booth", "channel"];

function bookingParams(all) {
  const params = new URLSearchParams({ from: all.get("from"), to: all.get("to") });
  for (const name of BOOKING_FILTERS) if (all.get(name)) params.set(name, all.get(name));
  return params;
}

function formatLead(hours) {
  if (hours === null || hours === undefined) return "—";
  return hours < 48 ? t("reports.duration.hours", { h: Math.round(hours) }) : t("reports.duration.days", { d: Math.round(hours / 24) });
}

const BOOKING_TILES = [
  ["booking-kpi-total", "bookings", formatCount],
  ["booking-kpi-no-show-rate", "no_show_rate", formatRate],
  ["booking-kpi-lead-time", "lead_time_median_h", formatLead],
  ["booking-kpi-wait-booked", "wait_median_booked_s", formatDuration],
  ["booking-kpi-wait-walk-in", "wait_median_walk_in_s", formatDuration],
];

function placeName(place) {
  if (place === "*") return t("reports.bookings.all_places");
  if (place === "home") return t("book.mode.video");
  const names = placeNames[place];
  if (names) return names[language()] ?? names.ja ?? place;
  const option = form.elements.place?.querySelector(`option[value="${CSS.escape(place)}"]`);
  return option ? option.textContent : place;
}

function bookingCells(statuses) {
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  const came = (statuses.checked_in ?? 0) + (statuses.done ?? 0);
  return [formatCount(total), formatCount(came), formatCount(statuses.no_show ?? 0), formatCount(statuses.cancelled ?? 0)];
}

function renderBookings(report) {
  for (const [id, key, format] of BOOKING_TILES) document.getElementById(id).textContent = format(report[key]);
  const head = ["total", "came", "no_show", "cancelled"].map((k) => t(`reports.bookings.${k}`));
  fillTable("report-bookings-by-route", [t("reports.filter.route"), ...head],
    Object.entries(report.by_route).map(([route, statuses]) => [routeName(route), ...bookingCells(statuses)]));
  fillTable("report-bookings-by-place", [t("reports.bookings.place"), ...head],
    Object.entries(report.by_place).map(([place, statuses]) => [placeName(place), ...bookingCells(statuses)]));
  const use = Object.entries(report.utilisation);
  fillTable("report-utilisation", ["place", "offered", "used", "rate"].map((k) => t(`reports.bookings.${k}`)),
    use.map(([place, f]) => [placeName(place), formatCount(f.offered), formatCount(f.booked), formatRate(f.rate)]));
  const places = use.filter(([place]) => place !== "*");
  drawBar("chart-utilisation", places.map(([place]) => placeName(place)),
    places.map(([, f]) => (f.rate === null ? 0 : Math.round(f.rate * 1000) / 10)), t("reports.bookings.rate"));
}

async function loadBookings(filters) {
  const status = document.getElementById("bookings-status");
  try {
    const town = bookingParams(filters).get("municipality");
    const options = await fetch(`/api/staff/bookings/options${town ? `?municipality=${encodeURIComponent(town)}` : ""}`,
      { credentials: "same-origin" });
    if (options.ok) placeNames = Object.fromEntries((await options.json()).places.map((p) => [p.id, p.names]));
    const response = await fetch(`/api/staff/bookings/report?${bookingParams(filters)}`, { credentials: "same-origin" });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      status.textContent = t("reports.bookings.unavailable", { reason: body?.error?.message ?? response.status });
      return;
    }
    status.textContent = "";
    lastBookings = body;
    renderBookings(body);
  } catch {
    status.textContent = t("reports.offline");
  }
}

const EXPORT_LINKS = ["export-csv", "export-xlsx", "export-bookings-xlsx"];

/** The downloads follow the figures on screen: their filters (and the header choice), or, with no figures shown
 * (a refused range, an error, no connection), no address at all and a plain sentence saying what to do. */
function updateExportLinks() {
  const note = document.getElementById("export-note");
  if (!shownFilters) {
    for (const id of EXPORT_LINKS) {
      const link = document.getElementById(id);
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    }
    note.textContent = t("reports.export.unavailable");
    note.dataset.state = "off";
    return;
  }
  const params = new URLSearchParams(shownFilters);
  if (document.getElementById("export-japanese-headers").checked) params.set("headers", "ja");
  const addresses = {
    "export-csv": `/api/reports/consultations.csv?${params}`,
    "export-xlsx": `/api/reports/consultations.xlsx?${params}`,
    "export-bookings-xlsx": `/api/staff/bookings/report.xlsx?${bookingParams(shownFilters)}`,
  };
  for (const id of EXPORT_LINKS) {
    const link = document.getElementById(id);
    link.href = addresses[id];
    link.removeAttribute("aria-disabled");
  }
  note.textContent = t("reports.export.for_shown", { from: shownFilters.get("from"), to: shownFilters.get("to") });
  note.dataset.state = "on";
}

/** A refused filter: a plain sentence in the page language beside the input (`field`), not the server's English
 * detail in the status line. Returns whether it found the input. */
function showFilterError(reason, field) {
  clearFilterError();
  const input = field ? form.elements.namedItem(field) : null;
  if (!input || !input.closest) return false;
  const key = `reports.error.${reason}`;
  const box = document.createElement("p");
  box.className = "filter-error";
  box.dataset.testid = "report-filter-error";
  box.setAttribute("role", "alert");
  box.textContent = t(key) !== key ? t(key) : t("reports.error.other");
  input.setAttribute("aria-invalid", "true");
  (input.closest("label") || input).append(box);
  refused(box.textContent);
  return true;
}

const TABLES = ["report-by-route", "report-by-agent", "report-utilisation", "report-bookings-by-route", "report-bookings-by-place"];

/** The figures on screen no longer answer the filters (a refused filter, an error, no connection): take them all
 * away — tiles back to "—", charts and tables emptied — so nobody reads the old days' figures as the new ones
 * (ux7), and say in the status line what to do. */
function refused(sentence) {
  lastReport = null;
  lastBookings = null;
  shownFilters = null;
  updateExportLinks();
  for (const [id] of [...TILES, ...BOOKING_TILES]) document.getElementById(id).textContent = "—";
  extraLine.textContent = "";
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
  for (const testid of TABLES) {
    const table = document.querySelector(`[data-testid="${testid}"]`);
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
  }
  document.getElementById("bookings-status").textContent = "";
  statusLine.textContent = sentence;
  statusLine.dataset.state = "error";
}

function clearFilterError() {
  for (const old of form.querySelectorAll(".filter-error")) old.remove();
  for (const bad of form.querySelectorAll('[aria-invalid="true"]')) bad.removeAttribute("aria-invalid");
}

async function load() {
  const from = form.elements.namedItem("from")?.value;
  const to = form.elements.namedItem("to")?.value;
  if (from && to && to < from) {
    showFilterError("range_reversed", "to"); // said at once, no round trip for a range that cannot be
    return;
  }
  clearFilterError();
  statusLine.textContent = t("reports.loading");
  statusLine.dataset.state = "loading";
  const asked = filterParams();
  try {
    const response = await fetch(`/api/reports/kpis?${asked}`, { credentials: "same-origin" });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      if (showFilterError(body?.error?.reason || "other", body?.error?.field)) return;
      const key = `reports.error.${body?.error?.reason}`;
      refused(t(key) !== key ? t(key) : t("reports.error", { reason: body?.error?.message ?? response.status }));
      return;
    }
    lastReport = body;
    shownFilters = asked;
    updateExportLinks();
    render(body);
    loadBookings(asked);
    statusLine.textContent = t("reports.loaded", { from: body.from, to: body.to });
    statusLine.dataset.state = "ready";
  } catch {
    refused(t("reports.offline"));
  }
}

async function main() {
  await initI18n();
  const today = document.body.dataset.today;
  form.elements.from.value = isoDaysBefore(today, 6);
  form.elements.to.value = today;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  document.getElementById("export-japanese-headers").addEventListener("change", updateExportLinks);
  updateExportLinks();
  document.addEventListener("i18n:change", () => {
    updateExportLinks();
    if (lastReport) render(lastReport);
    if (lastBookings) renderBookings(lastBookings);
  });
  await load();
}

main();
