// The reports page: read the filters, ask /api/reports/kpis, fill the tiles, tables and charts, and point the
// export links at the same filters.
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
  return value === null || value === undefined ? "—" : Number(value).toLocaleString(language());
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
  const head = ["volume", "answered", "abandoned", "asa", "service_level", "aht"].map((k) => t(`reports.kpi.${k}`));
  const cells = (figures) => [
    formatCount(figures.volume),
    formatCount(figures.answered),
    formatCount(figures.abandoned),
    formatDuration(figures.asa_s),
    formatRate(figures.service_level),
    formatDuration(figures.aht_s),
  ];
  fillTable(
    "report-by-route",
    [t("reports.filter.route"), ...head],
    Object.entries(report.by_route).map(([route, figures]) => [routeName(route), ...cells(figures)]),
  );
  fillTable(
    "report-by-agent",
    [t("reports.table.agent"), ...head],
    Object.entries(report.by_agent).map(([id, figures]) => [report.names.agents[id] ?? id, ...cells(figures)]),
  );
}

// Bookings (予約): the same figures as `madoguchi bookings report` (GET /api/staff/bookings/report), for the
// chosen days, route, place and channel (booth = booth bookings, web chat = video from home), as the figures above.
// The booth filter does not narrow them: a booking names a place, not a booth (the page says so).
let lastBookings = null;
let placeNames = {}; // place id -> { language: name }, from the booking options (the municipality file's places)

function bookingParams() {
  const all = filterParams();
  const params = new URLSearchParams({ from: all.get("from"), to: all.get("to") });
  for (const name of ["municipality", "route", "place", "channel"]) if (all.get(name)) params.set(name, all.get(name));
  return params;
}

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

async function loadBookings() {
  const status = document.getElementById("bookings-status");
  document.getElementById("export-bookings-xlsx").href = `/api/staff/bookings/report.xlsx?${bookingParams()}`;
  try {
    const town = bookingParams().get("municipality");
    const options = await fetch(`/api/staff/bookings/options${town ? `?municipality=${encodeURIComponent(town)}` : ""}`,
      { credentials: "same-origin" });
    if (options.ok) placeNames = Object.fromEntries((await options.json()).places.map((p) => [p.id, p.names]));
    const response = await fetch(`/api/staff/bookings/report?${bookingParams()}`, { credentials: "same-origin" });
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

function updateExportLinks() {
  const params = filterParams();
  if (document.getElementById("export-japanese-headers").checked) params.set("headers", "ja");
  document.getElementById("export-csv").href = `/api/reports/consultations.csv?${params}`;
  document.getElementById("export-xlsx").href = `/api/reports/consultations.xlsx?${params}`;
}

async function load() {
  updateExportLinks();
  statusLine.textContent = t("reports.loading");
  statusLine.dataset.state = "loading";
  try {
    const response = await fetch(`/api/reports/kpis?${filterParams()}`, { credentials: "same-origin" });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      statusLine.textContent = t("reports.error", { reason: body?.error?.message ?? response.status });
      statusLine.dataset.state = "error";
      return;
    }
    lastReport = body;
    render(body);
    loadBookings();
    statusLine.textContent = t("reports.loaded", { from: body.from, to: body.to });
    statusLine.dataset.state = "ready";
  } catch {
    statusLine.textContent = t("reports.offline");
    statusLine.dataset.state = "error";
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
  form.addEventListener("change", updateExportLinks);
  document.getElementById("export-japanese-headers").addEventListener("change", updateExportLinks);
  document.addEventListener("i18n:change", () => {
    if (lastReport) render(lastReport);
    if (lastBookings) renderBookings(lastBookings);
  });
  await load();
}

main();
