// The admin page: booths, staff and places of the admin's municipalities.
//
// Why it is built this way: the server owns the data and answers every change with the changed thing, so the
// page simply reloads the whole state after each change (a few dozen rows) instead of patching it. Every change
// is a JSON POST with the session's CSRF token in X-CSRF-Token; a refusal comes back as {error: {code, message}}
// and is shown as a sentence from the catalog (admin.error.<code>), with the server's detail for bad input.
// Nothing is inserted as HTML: rows are built with textContent.

import { formatTime, noticeClock, zonedParts } from "./clock.js";
import { formatBookingCode } from "./numbers.js";
import { applyTranslations, hasText, initI18n, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || "";
let data = null;

class AdminError extends Error {
  constructor(code, detail, field = null, payload = {}) {
    super(detail || code);
    this.code = code;
    this.detail = detail;
    this.field = field; // the input the server refused (its sentence goes beside it)
    this.payload = payload; // the rest of the body (the bookings a change of hours would close)
  }
}

async function api(path, body, contentType = "application/json") {
  const json = contentType === "application/json";
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": contentType, "X-CSRF-Token": CSRF },
      body: body === undefined ? undefined : json ? JSON.stringify(body) : body,
    });
  } catch {
    throw new AdminError("network");
  }
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new AdminError(payload?.error?.code || "network", payload?.error?.message || "", payload?.error?.field || null, payload);
  }
  return payload;
}

// A file named municipality.yaml replaces that file; any other .yaml is kb/<name>.yaml; a .zip is the folder.
function kbTarget(file) {
  if (/\.zip$/i.test(file.name)) return { type: "application/zip", query: "" };
  const name = file.name === "municipality.yaml" ? file.name : `kb/${file.name}`;
  return { type: "application/x-yaml", query: `?file=${encodeURIComponent(name)}` };
}

/** A refused knowledge-base upload in the page's language: what sort of mistake (the YAML's shape, a field, the
 * file's name, the zip), where (file:line), and that nothing was replaced; the loader's English is shown apart. */
function kbSentence(problem) {
  const where = !problem.file ? "" : problem.line ? t("admin.kb.where_line", { file: problem.file, line: problem.line })
    : t("admin.kb.where_file", { file: problem.file });
  // a YAML slip of a known sort (a missing ":", the indent, a tab, an open quote or bracket) is named, on its
  // own line (chatbot/yaml_fault.py); any other YAML mistake keeps the general sentence
  const hinted = problem.kind === "yaml" && problem.hint ? `admin.kb.problem.yaml_${problem.hint}` : "";
  const key = hinted && hasText(hinted) ? hinted : `admin.kb.problem.${problem.kind}`;
  return `${t("admin.kb.not_replaced")} ${t(hasText(key) ? key : "admin.kb.problem.content", { where })}`;
}

function errorSentence(err) {
  if (err.code === "kb_invalid" && err.payload?.problem) return kbSentence(err.payload.problem);
  const key = `admin.error.${err.code}`;
  const known = t(key) !== key;
  return known ? t(key, { detail: err.detail || "" }) : t("admin.error.invalid_value", { detail: err.detail || err.code });
}

function showError(err) {
  const box = $("admin-error");
  box.textContent = errorSentence(err);
  // the server's English words, for a report that shows them apart (the knowledge-base upload's)
  box.dataset.detail = err.code === "kb_invalid" && err.payload?.problem ? err.detail || "" : "";
  box.hidden = false;
  $("admin-notice").hidden = true;
}

/** A refused input: a plain sentence in the page language right beside it (not the server's English detail at
 * the top of the page). `near` is the form or table row the change came from. */
function showFieldError(err, near) {
  const input = err.field ? near.querySelector(`[name="${err.field}"], [data-field="${err.field}"]`) : null;
  const folded = input?.closest("details");
  if (folded) folded.open = true; // a booth's name in another language is folded away until asked for
  if (!input && !["invalid_value", "invalid_payload", "required", "personal_number"].includes(err.code)) return false;
  // the refusal's own sentence when it has one (duplicate_name: a second 「汐見郵便局ブース」), else the field's
  // (hasText: asking t() for a key a catalog lacks logs a warning each time)
  // one sentence for a field of every language (names.en, names.vi: admin.field_error.names)
  const fieldKey = `admin.field_error.${String(err.field || "").split(".")[0]}`;
  const key = hasText(`admin.field_error.${err.code}`) ? `admin.field_error.${err.code}` : fieldKey;
  const text = !input ? t("admin.field_error.form") : hasText(key) ? t(key) : t("admin.field_error.other");
  const box = el("p", { class: "field-error", role: "alert", testid: "admin-field-error", text });
  box.title = err.detail || ""; // the server's words, for whoever supports the office
  // beside the input; a refusal naming no input goes at the end of the form or row it came from
  (input ? input.closest("label, fieldset, td") || input : near.querySelector("td:last-child") || near).append(box);
  input?.focus?.();
  $("admin-notice").hidden = true;
  return true;
}

function clearFieldErrors(near) {
  for (const old of near.querySelectorAll(".field-error")) old.remove();
}

/** Put the page's one notice and error line beside the form a change came from, or back at the top for a table
 * row's action (its row is rebuilt after the change), and clear what another form said: 「知識ベースを入れ替えました」
 * appeared at the top of the page, out of view, while the hours' old 「受付時間を 保存しました。」 stood beside the
 * upload button (session 15). */
function sayBeside(near) {
  const form = near?.tagName === "FORM" ? near : null;
  const boxes = [$("admin-error"), $("admin-notice")];
  if (form) form.after(...boxes);
  else document.querySelector(".admin-main").prepend(...boxes);
  for (const id of ["hours-notice", "hours-error", "kb-report"]) {
    if (!form?.contains($(id)) && !(id === "kb-report" && form?.id === "kb-upload")) $(id).hidden = true;
  }
}

function notice(text, near = null) {
  sayBeside(near);
  $("admin-error").hidden = true;
  const box = $("admin-notice");
  box.textContent = text;
  box.hidden = false;
  if (near) box.scrollIntoView({ block: "nearest" });
}

async function run(action, done, near = null) {
  if (near) clearFieldErrors(near);
  try {
    const result = await action();
    notice(done ? done(result) : t("admin.done"), near);
    await reload();
    return result;
  } catch (err) {
    const refused = err instanceof AdminError ? err : new AdminError("network");
    if (near && showFieldError(refused, near)) {
      $("admin-error").hidden = true;
      return null;
    }
    sayBeside(near);
    showError(refused);
    return null;
  }
}

/** Checkboxes that show every choice at a glance (a multi-select showed three rows and hid the rest). */
function checkGroup(field, values, chosen, text) {
  const box = el("fieldset", { class: "check-group", "data-field": field, testid: `admin-${field}-choices` });
  for (const value of values) {
    const input = el("input", { type: "checkbox", value });
    input.checked = input.defaultChecked = chosen.includes(value);
    box.append(el("label", { class: "check" }, input, el("span", { text: text(value) })));
  }
  if (values.includes("*")) everyDeskAlone(box);
  return box;
}

// "*" (every desk) and single desks exclude each other: ticking 税金 under 「すべての窓口」 saved ["*", "tax"], an
// agent of every desk while the form seemed to say one
function everyDeskAlone(box) {
  if (box.dataset.everyDeskAlone) return;
  box.dataset.everyDeskAlone = "1";
  box.addEventListener("change", (event) => {
    const changed = event.target;
    if (!changed.checked) return;
    for (const input of box.querySelectorAll("input")) {
      if (input !== changed && (changed.value === "*" || input.value === "*")) input.checked = false;
    }
  });
}

function checkedValues(box) {
  return [...box.querySelectorAll("input:checked")].map((input) => input.value);
}

function languageText(code) {
  const key = `lang.${code}`;
  return t(key) !== key ? t(key) : code;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "text") node.textContent = value;
    else if (name === "testid") node.dataset.testid = value;
    else if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  node.append(...children.filter(Boolean));
  return node;
}

function option(value, text, selected = false) {
  const node = el("option", { value, text });
  node.selected = selected;
  return node;
}

function routeText(route) {
  return route === "*" ? t("admin.routes.all") : t(`route.${route}`);
}

function placeOptions(municipalityId, selected) {
  const options = [option("", t("admin.field.none"), !selected)];
  for (const place of data.places.filter((p) => p.municipality_id === municipalityId)) {
    options.push(option(place.id, place.name, place.id === selected));
  }
  return options;
}

function fillSelects() {
  for (const select of document.querySelectorAll('select[data-role="municipality"]')) {
    const keep = select.value;
    select.replaceChildren(...data.municipalities.map((m) => option(m.id, `${m.name_ja} (${m.id})`, m.id === keep)));
  }
  for (const select of document.querySelectorAll('select[data-role="role"]')) {
    const keep = select.value || "agent";
    select.replaceChildren(...data.roles.map((r) => option(r, t(`admin.role.${r}`), r === keep)));
  }
  for (const select of document.querySelectorAll('select[data-role="kind"]')) {
    const keep = select.value;
    select.replaceChildren(...data.place_kinds.map((k) => option(k, t(`admin.kind.${k}`), k === keep)));
  }
  for (const [role, values, first, text] of [
    ["routes", ["*", ...data.routes], ["*"], routeText],
    ["languages", data.languages, ["ja"], languageText],
  ]) {
    for (const slot of document.querySelectorAll(`fieldset[data-role="${role}"]`)) {
      const keep = slot.querySelector("input") ? checkedValues(slot) : first;
      const legend = slot.querySelector("legend");
      slot.replaceChildren(...[legend].filter(Boolean), ...checkGroup(role, values, keep, text).childNodes);
      if (role === "routes") everyDeskAlone(slot);
    }
  }
  const boothForm = $("booth-add");
  const namesSlot = boothForm.querySelector('[data-role="booth-names"]');
  if (!namesSlot.childElementCount) namesSlot.replaceChildren(...boothNameFields({}, "admin-booth-add"));
  const placeSelect = boothForm.querySelector('select[data-role="place"]');
  const keepPlace = placeSelect.value;
  placeSelect.replaceChildren(...placeOptions(boothForm.elements.municipality_id.value, keepPlace));
}

function showKiosk(result) {
  $("kiosk-qr").src = result.qr;
  $("kiosk-link").href = result.url;
  $("kiosk-link").textContent = result.url;
  $("kiosk-local").hidden = !result.local;
  $("kiosk-result").hidden = false;
  $("kiosk-result").scrollIntoView({ block: "nearest" });
  return t("admin.kiosk.ready", { name: result.booth.name });
}

/** One field per page language other than Japanese for a booth's display name (session 16): the Japanese name is
 * required, these are not (an empty one shows the Japanese name). Named `names.<code>`, as the server names a
 * refused one, so its sentence goes beside it. */
function boothNameFields(names, testid) {
  return data.place_languages.map((l) => el("label", {},
    el("span", { text: l.name, lang: l.code }),
    el("input", { name: `names.${l.code}`, value: names?.[l.code] || "", maxlength: "200", lang: l.code,
      "data-testid": `${testid}-name-${l.code}` })));
}

/** The `names.<code>` fields of a form or row as the server takes them ({"en": "...", ...}; "" clears one). */
function boothNames(near) {
  const names = {};
  for (const input of near.querySelectorAll('input[name^="names."]')) names[input.name.slice(6)] = input.value;
  return names;
}

function boothRow(booth) {
  const nameInput = el("input", { name: "name", value: booth.name, maxlength: "200", "aria-label": t("admin.field.name") });
  const given = Object.keys(booth.names || {}).length;
  const otherNames = el("details", { class: "booth-names", testid: "admin-booth-names" },
    el("summary", { text: given ? `${t("admin.places.names")} (${given})` : t("admin.places.names") }),
    el("div", { class: "booth-names-fields" }, ...boothNameFields(booth.names, `admin-booth-${booth.id}`)),
    el("p", { class: "admin-hint", text: t("admin.booths.names_hint") }));
  const placeSelect = el("select", { "aria-label": t("admin.field.place") }, ...placeOptions(booth.municipality_id, booth.place_id));
  const base = `/api/admin/booths/${encodeURIComponent(booth.id)}`;
  const actions = booth.revoked
    ? []
    : [
        el("button", { type: "button", class: "btn btn-secondary", text: t("admin.action.rename"),
          // a name another booth of the town has: the sentence goes beside this row's name field
          onclick: () => run(() => api(`${base}/rename`, { name: nameInput.value, names: boothNames(row) }), undefined, row) }),
        el("button", { type: "button", class: "btn btn-secondary", text: t("admin.action.move"),
          onclick: () => run(() => api(`${base}/move`, { place_id: placeSelect.value || null })) }),
        el("button", { type: "button", class: "btn btn-secondary", testid: "admin-booth-rotate", text: t("admin.action.rotate"),
          onclick: () => window.confirm(t("admin.confirm.rotate")) && run(() => api(`${base}/rotate`, {}), showKiosk) }),
        el("button", { type: "button", class: "btn btn-danger", testid: "admin-booth-revoke", text: t("admin.action.revoke"),
          onclick: () => window.confirm(t("admin.confirm.revoke")) && run(() => api(`${base}/revoke`, {})) }),
      ];
  const row = el(
    "tr",
    { testid: "admin-booth", "data-booth-id": booth.id },
    el("td", {}, ...(booth.revoked ? [el("span", { text: booth.name })] : [nameInput, otherNames])),
    el("td", {}, booth.revoked ? el("span", { text: booth.place_name || "-" }) : placeSelect),
    // the exact spot inside the place (「2階 ロビー」): the list shows what was typed when the booth was added
    el("td", { class: "booth-location", testid: "admin-booth-location", text: booth.location || "-" }),
    el("td", { class: "nowrap", text: booth.revoked ? t("admin.booth.revoked") : t("admin.booth.active") }),
    el("td", { class: "row-actions" }, ...actions),
  );
  return row;
}

function staffRow(person) {
  const base = `/api/admin/staff/${encodeURIComponent(person.username)}`;
  const status = el("td", { class: "nowrap", text: person.disabled ? t("admin.staff.disabled") : t("admin.staff.active") });
  const name = el(
    "td",
    {},
    el("strong", { text: person.display_name }),
    // what residents on a non-Japanese page read (a row that can be changed has it in a field beside the role)
    ...(person.latin_name && !person.changeable ? [el("br"), el("span", { text: person.latin_name, lang: "en" })] : []),
    el("br"),
    el("span", { text: person.username }),
  );
  if (!person.changeable) {
    return el(
      "tr",
      { testid: "admin-staff-row", "data-username": person.username },
      name,
      el("td", { text: t(`admin.role.${person.role}`) }),
      el("td", { text: person.routes.map(routeText).join("、") }),
      el("td", { text: person.languages.map(languageText).join("、") }),
      status,
      el("td", { class: "muted", text: person.username === data.me ? "" : t("admin.staff.not_changeable") }),
    );
  }
  const role = el("select", { "aria-label": t("admin.field.role") }, ...data.roles.map((r) => option(r, t(`admin.role.${r}`), r === person.role)));
  const routes = checkGroup("routes", ["*", ...data.routes], person.routes, routeText);
  routes.setAttribute("aria-label", t("admin.field.routes"));
  const languages = checkGroup("languages", data.languages, person.languages, languageText);
  languages.setAttribute("aria-label", t("admin.field.languages"));
  const password = el("input", { type: "password", autocomplete: "new-password", placeholder: t("admin.field.password_optional"),
    "aria-label": t("admin.field.password_optional") });
  // the name residents on a non-Japanese page read (「窓口 二葉」 meant nothing to a Vietnamese resident)
  const latin = el("input", { class: "latin-name", name: "latin_name", lang: "en", maxlength: "100", autocomplete: "off",
    placeholder: t("admin.field.latin_name"), "aria-label": t("admin.field.latin_name"),
    title: t("admin.field.latin_name"), testid: "admin-staff-row-latin-name" });
  latin.value = person.latin_name || "";
  const save = () => api(`${base}/update`, {
    role: role.value,
    routes: checkedValues(routes),
    languages: checkedValues(languages),
    latin_name: latin.value.trim(),
  });
  const reset = () => api(`${base}/password`, password.value ? { password: password.value } : {});
  const row = el(
    "tr",
    { testid: "admin-staff-row", "data-username": person.username },
    name,
    el("td", {}, role, latin),
    el("td", {}, routes),
    el("td", {}, languages),
    status,
    el(
      "td",
      { class: "row-actions" },
      el("button", { type: "button", class: "btn btn-secondary", text: t("admin.action.save"), onclick: () => run(save, null, row) }),
      el("button", { type: "button", class: "btn btn-secondary", text: person.disabled ? t("admin.action.enable") : t("admin.action.disable"),
        onclick: () => run(() => api(`${base}/disable`, { disabled: !person.disabled })) }),
      password,
      el("button", { type: "button", class: "btn btn-secondary", text: t("admin.action.reset_password"),
        onclick: () => run(reset, (r) => passwordNotice(person, r.password), row) }),
    ),
  );
  return row;
}

function passwordNotice(person, password) {
  return password ? t("admin.password.shown", { name: person.display_name, password }) : t("admin.done");
}


// --- opening hours ------------------------------------------------------------------------------------------
// One row per weekday: closed, or one or two time ranges (a lunch break makes two). The page checks the times
// in plain words before sending; the server checks again (admin.error.invalid_payload with its detail).

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NEW_YEAR = "12-29..01-03";
let hoursDates = [];
let openHolidays = [];
// Per-desk weeks: "*" is every desk's usual week; a route key is a desk with its own hours. The week table edits
// the one chosen in #hours-route; a desk without its own hours shows the usual week greyed.
let hoursWeeks = { "*": {} };
let hoursRoute = "*";

function hoursTown() {
  return $("hours-form").elements.municipality_id.value;
}

function hoursOf(town) {
  return data.hours.find((h) => h.municipality_id === town) || null;
}

function windowsOf(text) {
  if (!text || text === "closed") return [];
  return text.split(",").map((part) => part.split("-").map((v) => v.trim().padStart(5, "0")));
}

/** "08:30" for a clock time typed as people type it — 8:30, 0830, 830, ８：３０ — or null when it is none; 24:00
 * only as a closing time (the server's rule, domain/opening_hours.py). */
function parseClock(text, { closing = false } = {}) {
  const found = /^(\d{1,2}):?(\d{2})$/.exec(String(text).normalize("NFKC").replace(/\s+/g, ""));
  if (!found) return null;
  const [hour, minute] = [Number(found[1]), Number(found[2])];
  if (minute > 59 || hour > 24 || (hour === 24 && (minute !== 0 || !closing))) return null;
  return `${String(hour).padStart(2, "0")}:${found[2]}`;
}

// A text field, not <input type="time">: the browser draws a time field in its own locale's clock, and town staff
// read 「08:30 AM」 for half past eight in a ja-JP Chromium (session 15). This one shows and takes 24-hour time in
// every language, tidied to HH:MM as it is left; what cannot be a time is said in words at saving (weekFromForm).
function timeInput(day, which, value) {
  const input = el("input", { type: "text", value: value || "", inputmode: "numeric", autocomplete: "off",
    maxlength: "5", placeholder: "--:--", class: "hours-time", "data-day": day, "data-which": which,
    testid: `hours-${which}-${day}`, "aria-label": `${t(`admin.hours.weekday.${day}`)} ${t(`admin.hours.${which.replace(/[12]$/, "")}`)}` });
  input.addEventListener("change", () => {
    const tidy = parseClock(input.value, { closing: which.startsWith("closes") });
    if (tidy) input.value = tidy;
    input.removeAttribute("aria-invalid");
  });
  return input;
}

function dayRow(day, text, inherited = false) {
  const windows = windowsOf(text);
  const closed = el("input", { type: "checkbox", testid: `hours-closed-${day}`, "aria-label": `${t(`admin.hours.weekday.${day}`)} ${t("admin.hours.closed")}` });
  closed.checked = windows.length === 0;
  const [first = ["", ""], second = ["", ""]] = windows;
  const row = el(
    "tr",
    { "data-day": day, testid: "hours-day" },
    el("th", { scope: "row", text: t(`admin.hours.weekday.${day}`) }),
    el("td", {}, el("label", { class: "hours-check" }, closed, el("span", { text: t("admin.hours.closed") }))),
    el("td", { class: "hours-first" }, el("span", { class: "hours-range" },
      timeInput(day, "opens1", first[0]), el("span", { text: "〜" }), timeInput(day, "closes1", first[1]))),
    el("td", { class: "hours-second" }, el("span", { class: "hours-range" },
      timeInput(day, "opens2", second[0]), el("span", { text: "〜" }), timeInput(day, "closes2", second[1]))),
  );
  row.classList.toggle("is-closed", closed.checked);
  if (inherited) for (const input of row.querySelectorAll("input")) input.disabled = true;
  closed.addEventListener("change", () => row.classList.toggle("is-closed", closed.checked));
  return row;
}

function renderDates() {
  $("hours-dates").replaceChildren(
    ...(hoursDates.length
      ? hoursDates.map((day) => el("li", { testid: "hours-date-item", "data-date": day },
          el("span", { text: formatDay(day) }),
          el("button", { type: "button", class: "btn btn-secondary", text: t("admin.hours.remove_day"),
            "aria-label": `${formatDay(day)} ${t("admin.hours.remove_day")}`,
            onclick: () => { hoursDates = hoursDates.filter((d) => d !== day); renderDates(); } })))
      : [el("li", { class: "muted", text: t("admin.hours.no_days") })]),
  );
}

// The coming national holidays (the server's list, names in Japanese as the law names them): closed unless
// ticked; with "closed on national holidays" off they are ordinary days and the list is greyed.
function renderHolidays(current) {
  const national = $("hours-national").checked;
  $("hours-holidays").classList.toggle("is-off", !national);
  $("hours-holidays").replaceChildren(...(current.holidays || []).map((holiday) => {
    const open = el("input", { type: "checkbox", testid: "hours-holiday-open", "data-date": holiday.date,
      "aria-label": `${formatDay(holiday.date)} ${t("admin.hours.holiday_open")}` });
    open.checked = openHolidays.includes(holiday.date);
    open.disabled = !national;
    open.addEventListener("change", () => {
      openHolidays = open.checked ? [...openHolidays, holiday.date].sort() : openHolidays.filter((d) => d !== holiday.date);
    });
    return el("li", { testid: "hours-holiday", "data-date": holiday.date },
      el("span", { text: `${formatDay(holiday.date)} ${holiday.name}` }),
      el("label", { class: "hours-check" }, open, el("span", { text: t("admin.hours.holiday_open") })));
  }));
}

function formatDay(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const weekday = WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7];
  return t("admin.hours.date", { year: y, month: m, day: d, weekday: t(`reports.weekday.${weekday}`) });
}

/** 「2026年12月8日（火） 8:30」: a moment (epoch seconds) in the town's zone (the page's, JST), whatever zone the
 * browser is in (tidy14: the last change was said in the browser's zone and format), worded as the day lists are. */
function formatMoment(epochSeconds) {
  const p = zonedParts(epochSeconds);
  const iso = `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  return `${formatDay(iso)} ${noticeClock(formatTime(epochSeconds))}`;
}

function renderHours() {
  const current = hoursOf(hoursTown());
  $("hours-error").hidden = true;
  if (!current) return;
  const spec = current.spec || { weekly: {}, routes: {}, closed: [], closed_yearly: [] };
  hoursWeeks = { "*": spec.weekly, ...(spec.routes || {}) };
  hoursRoute = "*";
  renderWeek();
  $("hours-new-year").checked = spec.closed_yearly.includes(NEW_YEAR);
  hoursDates = [...spec.closed];
  renderDates();
  $("hours-national").checked = spec.national_holidays !== false;
  openHolidays = [...(spec.open_holidays || [])];
  renderHolidays(current);
  const when = current.updated_at ? formatMoment(Date.parse(current.updated_at) / 1000) : "";
  $("hours-source").textContent = t(`admin.hours.source.${current.source}`, { when, who: current.updated_by || "" });
  $("hours-now").textContent = t(current.open_now ? "admin.hours.open_now" : "admin.hours.closed_now");
  $("hours-now").classList.toggle("is-open", current.open_now);
}

function renderWeek() {
  const own = hoursRoute in hoursWeeks;
  $("hours-route").replaceChildren(...["*", ...data.routes].map((r) => option(r,
    r === "*" ? t("admin.hours.route_default")
      : r in hoursWeeks ? t("admin.hours.route_own_mark", { route: routeText(r) }) : routeText(r),
    r === hoursRoute)));
  $("hours-own-box").hidden = hoursRoute === "*";
  $("hours-own").checked = own;
  $("hours-week").classList.toggle("is-inherited", !own);
  const week = hoursWeeks[hoursRoute] || hoursWeeks["*"];
  $("hours-days").replaceChildren(...WEEKDAYS.map((day) => dayRow(day, week[day], !own)));
}

// Keep what the table shows for the desk being edited; false (and the problem shown) when it is not valid.
function keepWeek() {
  if (!(hoursRoute in hoursWeeks)) return true;
  try {
    hoursWeeks[hoursRoute] = weekFromForm();
    $("hours-error").hidden = true;
    return true;
  } catch (err) {
    if (!(err instanceof HoursProblem)) throw err;
    $("hours-error").textContent = err.message;
    $("hours-error").hidden = false;
    return false;
  }
}

function pickRoute() {
  const wanted = $("hours-route").value;
  if (!keepWeek()) {
    $("hours-route").value = hoursRoute;
    return;
  }
  hoursRoute = wanted;
  renderWeek();
}

function toggleOwn() {
  if ($("hours-own").checked) hoursWeeks[hoursRoute] = { ...hoursWeeks["*"] };
  else delete hoursWeeks[hoursRoute];
  renderWeek();
}

class HoursProblem extends Error {}

function weekFromForm() {
  const weekly = {};
  const desk = hoursRoute === "*" ? "" : `${routeText(hoursRoute)} `;
  for (const row of $("hours-days").querySelectorAll("tr[data-day]")) {
    const day = row.dataset.day;
    const name = `${desk}${t(`admin.hours.weekday.${day}`)}`;
    if (row.querySelector('input[type="checkbox"]').checked) {
      weekly[day] = "closed";
      continue;
    }
    // the time as HH:MM, "" for an empty field; a field that is no time is marked and named in words
    const value = (which) => {
      const input = row.querySelector(`input[data-which="${which}"]`);
      const typed = input.value.trim();
      if (!typed) return "";
      const tidy = parseClock(typed, { closing: which.startsWith("closes") });
      if (tidy) return tidy;
      input.setAttribute("aria-invalid", "true");
      throw new HoursProblem(t("admin.hours.error.time", { day: name, value: typed }));
    };
    const ranges = [];
    for (const n of ["1", "2"]) {
      const opens = value(`opens${n}`);
      const closes = value(`closes${n}`);
      if (!opens && !closes && n === "2") continue;
      if (!opens || !closes) throw new HoursProblem(t("admin.hours.error.missing", { day: name }));
      if (closes <= opens) throw new HoursProblem(t("admin.hours.error.order", { day: name }));
      ranges.push([opens, closes]);
    }
    if (ranges.length === 2 && ranges[1][0] < ranges[0][1]) throw new HoursProblem(t("admin.hours.error.overlap", { day: name }));
    weekly[day] = ranges.map(([a, b]) => `${a}-${b}`).join(",");
  }
  return weekly;
}

async function saveHours(event) {
  event.preventDefault();
  const town = hoursTown();
  const current = hoursOf(town);
  if (!keepWeek()) return;
  const { "*": weekly, ...routes } = hoursWeeks;
  const kept = (current?.spec?.closed_yearly || []).filter((span) => span !== NEW_YEAR);
  const body = {
    weekly,
    routes,
    closed: hoursDates,
    closed_yearly: $("hours-new-year").checked ? [NEW_YEAR, ...kept] : kept,
    national_holidays: $("hours-national").checked,
    open_holidays: openHolidays,
  };
  const path = `/api/admin/hours/${encodeURIComponent(town)}`;
  await changeHours(path, body, (kept) =>
    kept.length
      ? t("admin.hours.saved_with_bookings", { count: kept.length, list: listedBookings(kept).join("、") })
      : t("admin.hours.saved"));
}

function listedBookings(bookings) {
  return bookings.map((b) => [formatMoment(Date.parse(b.start) / 1000), t(`route.${b.route}`), b.name_kana,
    contactOf(b), formatBookingCode(b.code)].filter(Boolean).join(" "));
}

/** What happened to the hours, beside the save button (it was said 4,000 px above it, at the top of the page). */
function hoursSay(text, { error = false } = {}) {
  sayBeside($("hours-form")); // another form's notice goes (the hours say theirs inside their own form)
  $("admin-notice").hidden = true;
  $("admin-error").hidden = true;
  $("hours-notice").hidden = error;
  $("hours-error").hidden = !error;
  const box = error ? $("hours-error") : $("hours-notice");
  box.textContent = text;
  box.scrollIntoView({ block: "nearest" });
}

/** A change of hours (saving, or back to the file's) that closes a time with bookings on it: the server names
 * them first (409, nothing stored); the panel beside the button lists each booking (day and time, desk, the name
 * as booked, the contact, the number) and asks 「このまま 保存する」 or 「やめる」; the bookings stay either way,
 * and the notice names them again to phone each resident. `madoguchi hours set|reset` refuses the same way until
 * --confirm. */
async function changeHours(path, body, doneText) {
  $("hours-notice").hidden = true;
  $("hours-error").hidden = true;
  let result;
  try {
    result = await api(path, body);
  } catch (err) {
    const bookings = err?.payload?.bookings;
    if (err?.code !== "bookings_on_closed_days" || !Array.isArray(bookings)) {
      hoursSay(errorSentence(err instanceof AdminError ? err : new AdminError("network")), { error: true });
      return null;
    }
    if (!(await askAboutBookings(bookings))) {
      hoursSay(t("admin.hours.ask.not_saved"));
      return null;
    }
    try {
      result = await api(`${path}?confirm=1`, body);
    } catch (again) {
      hoursSay(errorSentence(again instanceof AdminError ? again : new AdminError("network")), { error: true });
      return null;
    }
  }
  await reload().catch(() => null);
  hoursSay(doneText(result?.bookings_on_closed_days || []));
  return result;
}

/** The number to phone (or the address to write to) for a booking the new hours close: the hours API gives it
 * whole to the admin it tells to phone each resident (the day's list and the records mask it); none: said so. */
function contactOf(booking) {
  return booking.phone || booking.email || t("admin.hours.ask.no_contact");
}

let answerAsk = null;

async function askAboutBookings(bookings) {
  $("hours-ask-text").textContent = t("admin.hours.ask.text", { count: bookings.length });
  $("hours-ask-rows").replaceChildren(...bookings.map((b) => {
    const place = data.places.find((p) => p.id === b.place)?.name;
    // data-label: each cell's heading, shown beside it on a phone, where the row is a card (admin.css)
    return el("tr", { testid: "hours-ask-booking", "data-code": b.code },
      el("td", { "data-label": t("admin.hours.ask.when"), text: formatMoment(Date.parse(b.start) / 1000) }),
      el("td", { "data-label": t("admin.hours.ask.route"), text: [routeText(b.route), place].filter(Boolean).join(" / ") }),
      el("td", { "data-label": t("admin.hours.ask.name"), text: b.name_kana || "-" }),
      el("td", { "data-label": t("admin.hours.ask.contact"), testid: "hours-ask-contact", class: "hours-ask-keep",
        text: contactOf(b) }),
      el("td", { "data-label": t("admin.hours.ask.code"), class: "hours-ask-keep", text: formatBookingCode(b.code) }));
  }));
  $("hours-ask").hidden = false;
  $("hours-ask").scrollIntoView({ block: "nearest" });
  $("hours-ask-save").focus();
  return new Promise((resolve) => {
    answerAsk = (yes) => {
      answerAsk = null;
      $("hours-ask").hidden = true;
      resolve(yes);
    };
  });
}

function addHoursDate() {
  const value = $("hours-date").value;
  if (!value) {
    $("hours-error").textContent = t("admin.hours.error.no_date");
    $("hours-error").hidden = false;
    return;
  }
  $("hours-error").hidden = true;
  if (!hoursDates.includes(value)) hoursDates = [...hoursDates, value].sort();
  $("hours-date").value = "";
  renderDates();
}

function wireHours() {
  $("hours-form").addEventListener("submit", saveHours);
  $("hours-form").elements.municipality_id.addEventListener("change", renderHours);
  $("hours-date-add").addEventListener("click", addHoursDate);
  $("hours-route").addEventListener("change", pickRoute);
  $("hours-own").addEventListener("change", toggleOwn);
  $("hours-national").addEventListener("change", () => renderHolidays(hoursOf(hoursTown())));
  $("hours-reset").addEventListener("click", () =>
    window.confirm(t("admin.hours.confirm_reset")) &&
    changeHours(`/api/admin/hours/${encodeURIComponent(hoursTown())}/reset`, {}, (kept) =>
      kept.length
        ? t("admin.hours.reset_with_bookings", { count: kept.length, list: listedBookings(kept).join("、") })
        : t("admin.hours.reset_done")));
  $("hours-ask-save").addEventListener("click", () => answerAsk?.(true));
  $("hours-ask-cancel").addEventListener("click", () => answerAsk?.(false));
  $("hours-ask").addEventListener("keydown", (event) => {
    if (event.key === "Escape") answerAsk?.(false);
  });
}

function render() {
  fillSelects();
  renderHours();
  $("booth-rows").replaceChildren(...data.booths.map(boothRow));
  $("staff-rows").replaceChildren(...data.staff.map(staffRow));
  $("place-rows").replaceChildren(...data.places.map(placeRow));
}

// A place's row: its Japanese name, and under "names in other languages" one field per page language plus the
// romaji reading, saved together (a language left empty shows the Japanese name with the reading).
function placeRow(place) {
  const field = (label, name, value, lang) => el("label", {},
    el("span", { text: label, ...(lang ? { lang } : {}) }),
    el("input", { name, value: value || "", maxlength: "200", "data-testid": `place-name-${place.id}-${name}` }));
  const form = el("form", { class: "admin-form place-names", "data-testid": `place-names-${place.id}` },
    field(t("admin.field.name"), "ja", place.name),
    field(t("admin.field.reading"), "reading", place.reading),
    ...data.place_languages.map((l) => field(l.name, l.code, place.names?.[l.code], l.code)),
    el("p", { class: "admin-hint", text: t("admin.places.names_hint") }),
    el("button", { type: "submit", class: "btn btn-primary", text: t("admin.places.save"), testid: `place-save-${place.id}` }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = formValues(form);
    const names = Object.fromEntries(data.place_languages.map((l) => [l.code, v[l.code] || ""]));
    const body = { name: v.ja, names, reading: v.reading || "" };
    run(() => api(`/api/admin/places/${encodeURIComponent(place.id)}/names`, body),
      (r) => t("admin.places.saved", { name: r.place.name }));
  });
  return el("li", {},
    el("span", { text: `${place.name} (${place.id}) — ${t(`admin.kind.${place.kind}`)}` }),
    el("details", {}, el("summary", { text: t("admin.places.names") }), form));
}

async function reload() {
  data = await api("/api/admin/state");
  render();
}

function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) values[name] = value;
  return values;
}

/** The forms are `novalidate`: the browser's bubble spoke the browser's language on a Japanese page (UX13 finding 7,
 * 「Please fill out this field.」). An empty required field gets the page's own sentence beside it, and nothing is
 * sent; registered before each form's own submit listener, which it stops. */
function guardRequired(form) {
  form.addEventListener("submit", (event) => {
    clearFieldErrors(form);
    const empty = [...form.elements].find((input) => input.required && !String(input.value || "").trim());
    if (!empty) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const own = `admin.field_error.${empty.name}`;
    const text = t(own) !== own ? t(own) : t("admin.field_error.required");
    const box = el("p", { class: "field-error", role: "alert", testid: "admin-field-error", text });
    (empty.closest("label, fieldset") || empty).append(box);
    empty.focus();
  });
}

function wireForms() {
  for (const id of ["booth-add", "staff-add", "place-add", "kb-upload"]) guardRequired($(id));
  $("booth-add").elements.municipality_id.addEventListener("change", fillSelects);
  $("booth-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(event.target);
    const result = await run(
      () => api("/api/admin/booths", { name: v.name, names: boothNames(event.target), municipality_id: v.municipality_id,
        place_id: v.place_id || null, location: v.location }),
      showKiosk,
      event.target,
    );
    if (result) {
      // the next booth starts from empty fields: its place and spot are rarely this one's
      event.target.elements.name.value = "";
      event.target.elements.place_id.value = "";
      event.target.elements.location.value = "";
      for (const input of event.target.querySelectorAll('input[name^="names."]')) input.value = "";
    }
  });
  $("staff-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const v = formValues(form);
    const body = {
      username: v.username,
      display_name: v.display_name,
      latin_name: v.latin_name || "",
      role: v.role,
      municipality_id: v.municipality_id,
      routes: checkedValues(form.querySelector('[data-role="routes"]')),
      languages: checkedValues(form.querySelector('[data-role="languages"]')),
    };
    if (v.password) body.password = v.password;
    const result = await run(() => api("/api/admin/staff", body), (r) => passwordNotice(r.staff, r.password), form);
    if (result) form.reset();
  });
  $("place-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await run(() => api("/api/admin/places", formValues(event.target)), null, event.target);
    if (result) event.target.reset();
  });
  $("kb-upload").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const file = form.elements.file.files[0];
    if (!file) return;
    const target = kbTarget(file);
    const path = `/api/admin/kb/${encodeURIComponent(form.elements.municipality_id.value)}${target.query}`;
    const report = $("kb-report");
    report.hidden = true;
    // checking a knowledge base takes seconds: say so, and one press is one upload
    const submit = form.querySelector('[data-testid="admin-kb-submit"]');
    submit.disabled = true;
    notice(t("admin.kb.checking"), form);
    let result;
    try {
      result = await run(() => api(path, file, target.type), (r) => t("admin.kb.done", { entries: r.entries }), form);
    } finally {
      submit.disabled = false;
    }
    if (!result) {
      $("kb-report-text").textContent = $("admin-error").textContent;
      const detail = $("admin-error").dataset.detail || "";
      $("kb-report-detail").textContent = t("admin.kb.detail", { detail });
      $("kb-report-detail").hidden = !detail;
      report.hidden = false;
      $("admin-error").hidden = true; // said once, in the report beside the form
    }
  });
  $("kiosk-hide").addEventListener("click", () => {
    $("kiosk-result").hidden = true;
    $("kiosk-qr").removeAttribute("src");
  });
  document.addEventListener("i18n:change", () => data && render());
}

await initI18n();
applyTranslations();
wireForms();
wireHours();
try {
  await reload();
} catch (err) {
  showError(err instanceof AdminError ? err : new AdminError("network"));
}
