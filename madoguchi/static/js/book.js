// The booking page (/book): choose a topic, a way, a place, a day and a free time; give a name in kana and,
// if wanted, a contact; get a booking number, an .ics file, and cancel or move with that number.
//
// Why the choices come from the page: the server embeds the town's topics, places and open days
// (<script id="book-options">), so the form works at once on a slow island link; only free times and changes go
// to /api. The booking number stays in the address fragment (#code=…), which browsers never send to a server.

import { applyTranslations, browserLanguage, initI18n, language, setLanguage, t } from "./i18n.js";
import { followTownName } from "./townname.js";
import { TabMemory } from "./tabmemory.js";
import { CONTACT_ERROR, TIME_GONE, contactProblem, nameHasKanji, nameLooksRight } from "./bookinput.js";
import { formatBookingCode } from "./numbers.js";
import { noticeClock } from "./clock.js";
import { formatDay, formatDayAndTime, formatDayWithTimes, formatTimeRange } from "./dates.js";
import { LanguagePicker } from "./langpicker.js";

const BOOK_AGAIN = new Set(["cancelled", "no_show", "done"]); // a booking that is no more: offer a new one
const DONE_KEEP = { booth: "book.done.keep", counter: "book.done.keep_counter", video: "book.done.keep_video" };

const $ = (id) => document.getElementById(id);
const options = JSON.parse($("book-options").textContent);
const municipality = options.municipality;

const state = { slot: null, moving: null, booking: null };

function nameOf(names) {
  return names[language()] || names.ja || Object.values(names)[0] || "";
}

function dateLabel(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return formatDay(new Date(Date.UTC(y, m - 1, d, 3)), { timeZone: "Asia/Tokyo" }); // noon in Japan: that day
}

function clock(isoDateTime) {
  return noticeClock(isoDateTime.slice(11, 16));
}

function whenLabel(start, end) {
  return formatDayWithTimes(dateLabel(start.slice(0, 10)), formatTimeRange(clock(start), clock(end)));
}

function placeName(id) {
  const place = options.places.find((p) => p.id === id);
  return place ? nameOf(place.names) : id;
}

function routeName(id) {
  const route = options.routes.find((r) => r.id === id);
  return route ? nameOf(route.names) : id;
}

// -- messages ---------------------------------------------------------------------------------------------
//
// A notice (moved, cancelled, how to move) is the banner under the bar. An error is said next to the field it is
// about (showError), where the resident is looking and can fix it, and the banner keeps only a summary for screen
// readers (visually hidden, announced once); a sticky banner at the top was far from the field on a phone.

// The field each refusal is about; any other (offline, too many tries) goes beside what was pressed.
const FIELD_OF_ERROR = Object.freeze({
  unknown_route: "route",
  unknown_place: "place",
  unknown_ferry: "place",
  closed_day: "day",
  beyond_horizon: "day",
  full: "slot",
  past_slot: "slot",
  too_late: "slot",
  no_such_slot: "slot",
  no_ferry: "slot",
  name: "name",
  contact: "contact",
  unknown_code: "code",
  too_many_wrong_codes: "code",
  not_changeable: "manage",
});
// The control a field's message describes (aria-describedby, aria-invalid); none for the slot list and buttons.
const CONTROL_OF_FIELD = Object.freeze({
  route: "book-route",
  place: "book-place",
  day: "book-day",
  name: "book-name-kana",
  contact: "book-contact",
  code: "book-lookup-code",
});

function say(text, kind = "info") {
  clearFieldErrors();
  const banner = $("banner");
  banner.textContent = text;
  banner.dataset.kind = kind;
  banner.classList.toggle("book-banner-summary", kind === "error");
  banner.hidden = !text;
}

function clearFieldErrors() {
  for (const box of document.querySelectorAll(".book-field-error")) {
    box.hidden = true;
    box.textContent = "";
    const control = $(CONTROL_OF_FIELD[box.dataset.field] ?? "");
    control?.removeAttribute("aria-invalid");
    control?.removeAttribute("aria-describedby");
  }
}

/**
 * An error in plain words next to its field: `code` picks the field (FIELD_OF_ERROR), else `near` (the part the
 * resident just used). The field comes into view; the banner keeps the same words for screen readers only.
 */
function showError(text, { code = null, near = "submit" } = {}) {
  say(text, "error"); // clears the other fields' errors; the banner is the summary for screen readers
  const field = FIELD_OF_ERROR[code] ?? near;
  const box = $(`error-${field}`);
  box.textContent = text;
  box.hidden = false;
  const control = $(CONTROL_OF_FIELD[field] ?? "");
  if (control) {
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", box.id);
  }
  box.scrollIntoView?.({ block: "nearest" }); // scroll-margin (book.css) keeps it clear of the sticky bar
}

// A refusal that passes (too many bookings: booking_desk.flood) says the day and time to try again (ux16 M9:
// 「しばらく」 alone left a resident at a post office not knowing whether to wait a minute or come back tomorrow).
const SAYS_WHEN = Object.freeze({ too_many_bookings: "book.error.too_many_bookings_until" });

function errorText(code, retryAfterS = null) {
  if (code === "personal_number") return t("privacy.personal_number");
  if (SAYS_WHEN[code] && Number.isFinite(retryAfterS) && retryAfterS > 0) {
    const at = new Date(Math.ceil((Date.now() + retryAfterS * 1000) / 60000) * 60000); // the next whole minute
    return t(SAYS_WHEN[code], { when: formatDayAndTime(at) });
  }
  const key = `book.error.${code}`;
  const text = t(key);
  return text === key ? t("book.error.invalid") : text;
}

async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new Error(t("book.error.offline"));
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = data?.error?.code ?? "invalid";
    throw Object.assign(new Error(errorText(code, data?.error?.retry_after_s ?? null)), { code });
  }
  return data;
}

// -- the form -----------------------------------------------------------------------------------------------

function chosenMode() {
  return document.querySelector('input[name="mode"]:checked')?.value ?? "";
}

function placesFor(route, mode) {
  return options.places.filter((p) => p.mode === mode && (p.routes.includes("*") || p.routes.includes(route)));
}

function fillSelect(select, items, keep) {
  select.replaceChildren();
  const first = document.createElement("option");
  first.value = "";
  first.textContent = t("book.choose");
  select.append(first);
  for (const [value, label] of items) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    select.append(option);
  }
  select.value = items.some(([value]) => value === keep) ? keep : items.length === 1 ? items[0][0] : "";
}

function currentPlace() {
  const route = state.moving ? state.moving.route : $("book-route").value;
  const mode = state.moving ? state.moving.mode : chosenMode();
  const id = $("book-place").value;
  return placesFor(route, mode).find((p) => p.id === id) ?? null;
}

function refreshPlaces() {
  const route = $("book-route").value;
  const mode = chosenMode();
  $("mode-set").hidden = !route;
  const places = route && mode ? placesFor(route, mode) : [];
  fillSelect($("book-place"), places.map((p) => [p.id, nameOf(p.names)]), $("book-place").value);
  $("place-set").hidden = !(route && mode) || (places.length === 1 && places[0].id === "home");
  refreshDays();
}

function refreshDays() {
  const place = currentPlace();
  const ferry = place?.ferries?.length ? options.ferries.find((f) => f.id === place.ferries[0]) : null;
  $("ferry-set").hidden = !ferry;
  if (ferry) $("ferry-text").textContent = t("book.ferry.check", { home: nameOf(ferry.homes) });
  else $("book-ferry").checked = false;
  // a topic with hours of its own has its own open days (route_days); the others follow the town's hours
  const route = state.moving ? state.moving.route : $("book-route").value;
  const days = place ? (place.route_days?.[route] ?? place.days) : [];
  fillSelect($("book-day"), days.map((d) => [d, dateLabel(d)]), $("book-day").value);
  $("day-set").hidden = !place;
  loadSlots();
}

let slotRequest = 0;

/** The free times of the chosen place and day; `keepError`: a refusal just said (the time is gone) stays. */
async function loadSlots({ keepError = false } = {}) {
  const place = currentPlace();
  const day = $("book-day").value;
  const route = state.moving ? state.moving.route : $("book-route").value;
  state.slot = null;
  $("book-slots").replaceChildren();
  $("slot-set").hidden = !(place && day);
  $("you-set").hidden = true;
  if (!(place && day && route)) return;
  const request = ++slotRequest;
  $("slot-hint").textContent = t("book.slot.loading");
  const query = new URLSearchParams({ municipality, route, date: day, place: place.id });
  const ferry = state.moving ? state.moving.ferry?.line : $("book-ferry").checked ? place.ferries[0] : null;
  if (ferry) query.set("ferry", ferry);
  try {
    const slots = await api("GET", `/api/slots?${query}`);
    if (request !== slotRequest) return;
    renderSlots($("book-slots"), slots, (slot, button) => chooseSlot(slot, button));
    $("slot-hint").textContent = slots.some((s) => s.free > 0) ? "" : t("book.slot.none");
    if (!keepError) say("");
  } catch (err) {
    if (request !== slotRequest) return;
    $("slot-hint").textContent = "";
    showError(err.message, { code: err.code, near: "slot" });
  }
}

function renderSlots(list, slots, onChoose) {
  list.replaceChildren();
  for (const slot of slots) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "book-slot";
    button.dataset.testid = "book-slot";
    button.dataset.start = slot.start;
    button.setAttribute("aria-pressed", "false");
    button.disabled = slot.free <= 0;
    const time = document.createElement("span");
    time.className = "book-slot-time";
    time.textContent = slot.date ? whenLabel(slot.start, slot.end) : formatTimeRange(clock(slot.start), clock(slot.end));
    const free = document.createElement("span");
    free.className = "book-slot-free";
    // 「予約できます」, no count: 「あと 1人」 on every slot read like a queue or a last place (UX13 finding 6)
    free.textContent = slot.free > 0 ? t("book.slot.free") : t("book.slot.full");
    button.append(time, free);
    if (slot.ferry) {
      const trip = document.createElement("span");
      trip.className = "book-slot-free";
      trip.textContent = t("book.ferry.trip", {
        arrive: slot.ferry.arrive.replace(/^0/, ""),
        leave: slot.ferry.leave.replace(/^0/, ""),
      });
      button.append(trip);
    }
    button.addEventListener("click", () => onChoose(slot, button));
    item.append(button);
    list.append(item);
  }
}

function chooseSlot(slot, button) {
  for (const other of document.querySelectorAll("#book-slots .book-slot")) other.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-pressed", "true");
  state.slot = slot;
  if (state.moving) {
    moveTo(slot);
    return;
  }
  $("you-set").hidden = false;
  $("book-name-kana").focus();
}

async function submit(event) {
  event.preventDefault();
  if (!state.slot) return;
  const name = $("book-name-kana").value.trim();
  if (!nameLooksRight(name)) {
    // an empty field is asked for, not blamed for numbers nobody typed (ux12)
    const key = !name ? "book.error.name_missing" : nameHasKanji(name) ? "book.error.name_kanji" : "book.error.name";
    showError(t(key), { code: "name" });
    $("book-name-kana").focus();
    return;
  }
  const contact = $("book-contact").value.trim();
  const problem = contactProblem(contact);
  if (problem) {
    showError(t(CONTACT_ERROR[problem]), { code: "contact" });
    $("book-contact").focus();
    return;
  }
  const button = $("book-submit");
  button.disabled = true;
  button.textContent = t("book.sending");
  const place = currentPlace();
  const body = {
    municipality,
    route: $("book-route").value,
    place: state.slot.place,
    start: state.slot.start,
    name_kana: name,
    contact: contact || null,
    language: language(),
  };
  if ($("book-ferry").checked && place?.ferries?.length) body.ferry = place.ferries[0];
  try {
    const booked = await api("POST", "/api/bookings", body);
    say("");
    $("book-form").hidden = true;
    $("done-card").hidden = false;
    $("book-code").textContent = formatBookingCode(booked.code); // "8191 8320 4417", as the console and the kiosk group it
    // what to do with the code depends on the way: enter it at a booth, tell it at the counter, or start the call here
    const keep = $("book-done-keep");
    keep.dataset.i18n = DONE_KEEP[booked.mode] ?? "book.done.keep";
    keep.textContent = t(keep.dataset.i18n);
    window.location.hash = `code=${booked.code}`;
    await lookup(booked.code);
    // the heading 「予約 できました」 in sight below the sticky bar (scroll-margin, book.css), and focused: a screen
    // reader says it, and the page does not stay scrolled to the button with the news above and under the bar
    const heading = $("book-done-heading");
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  } catch (err) {
    showError(err.message, { code: err.code });
    // the time is gone: the times load again beside the words, to choose another (name and contact are kept)
    if (TIME_GONE.has(err.code)) await loadSlots({ keepError: true });
  } finally {
    button.disabled = false;
    button.textContent = t("book.submit");
  }
}

// -- an existing booking ------------------------------------------------------------------------------------

function showBooking(booking) {
  state.booking = booking;
  $("booking-view").hidden = false;
  $("book-lookup-code").value = formatBookingCode(booking.code); // in groups of four, as it is read out
  $("booking-status").textContent = t(`book.status.${booking.status}`);
  $("booking-status").dataset.status = booking.status; // a cancelled one is not shown in the green of a live one
  $("booking-when").textContent = t("book.manage.when", {
    when: whenLabel(booking.start, booking.end),
    place: placeName(booking.place),
    route: routeName(booking.route),
  });
  $("booking-name").textContent = t("book.manage.name", { name: booking.name_kana });
  $("booking-ferry").textContent = booking.ferry?.arrive
    ? t("book.ferry.trip", { arrive: booking.ferry.arrive.replace(/^0/, ""), leave: booking.ferry.leave.replace(/^0/, "") })
    : "";
  $("book-ics").href = `/api/bookings/${booking.code}/calendar.ics`;
  const active = booking.status === "booked";
  // a video call from home: at its time the resident starts it here (the chat page checks the booking in)
  const video = active && booking.mode === "video";
  $("book-video-start").hidden = !video;
  $("book-video-hint").hidden = !video;
  $("book-video-start").href = `/chat/${municipality}#booking=${booking.code}`;
  // at a booth the resident may hold this to the camera instead of typing the number
  const qr = active && booking.mode === "booth";
  $("book-qr-box").hidden = !qr;
  if (qr) $("book-qr").src = `/api/bookings/${booking.code}/qr.svg`;
  $("book-qr").alt = qr ? t("book.qr.alt", { code: booking.code }) : "";
  $("book-move").hidden = !active;
  $("book-cancel").hidden = !active;
  $("book-ics").hidden = !active; // no calendar entry for a booking that was cancelled or is over
  // cancelled, missed or over: the green 「予約 できました」 box and its "enter this number" go, and a button
  // offers a new booking (ux15 item 3: after cancelling on a phone both stayed, with no way to book again)
  if (!active) $("done-card").hidden = true;
  $("book-again").hidden = !BOOK_AGAIN.has(booking.status);
  showNotice(booking);
}

function showNotice(booking) {
  const notice = booking.status === "booked" ? booking.notice : null;
  $("book-notice").hidden = !notice;
  $("notice-slots").replaceChildren();
  if (!notice) return;
  const params = { day: dateLabel(notice.day), at: notice.at, line: notice.line_name };
  $("notice-text").textContent = t(notice.instead.length ? "book.notice.sailing_cancelled" : "book.notice.none_left", params);
  renderSlots(
    $("notice-slots"),
    notice.instead.map((s) => ({ ...s, free: 1, date: true })),
    (slot) => move(booking, slot),
  );
}

/** A booking code has 12 digits; the 8-digit codes given before stay valid until their day (docs/bookings.md). */
const CODE_DIGITS = 12;
const OLD_CODE_DIGITS = 8;

async function lookup(code) {
  const digits = code.replace(/[^0-9０-９]/g, "");
  if (digits.length !== CODE_DIGITS && digits.length !== OLD_CODE_DIGITS) {
    // 「見つかりません」 for 4 digits sent the resident to check the code, not to count it (UX13 finding 8); and a
    // lookup that cannot match is not sent, so it does not count against the wrong-code limit either
    $("booking-view").hidden = true;
    const key = digits.length ? "book.error.code_length" : "book.error.code_missing";
    showError(t(key, { digits: CODE_DIGITS, typed: digits.length }), { code: "unknown_code", near: "code" });
    return;
  }
  try {
    showBooking(await api("GET", `/api/bookings/${encodeURIComponent(digits)}`));
    say("");
  } catch (err) {
    $("booking-view").hidden = true;
    showError(err.message, { code: err.code, near: "code" });
  }
}

let settleQuestion = null; // the open question's answer(yes): one question at a time
let busy = false; // a move or a cancellation is being sent: no second one meanwhile

/** Ask once, in the page, before a change that cannot be taken back by a tap: the question and large
 * はい / いいえ (the same for moving and cancelling). Resolves true for はい. A new question (another time tapped)
 * settles the open one as いいえ: only the last time asked about can be moved to. */
function confirmAction(question) {
  settleQuestion?.(false);
  const panel = $("book-confirm");
  $("book-confirm-question").textContent = question;
  panel.hidden = false;
  $("book-confirm-no").focus();
  return new Promise((resolve) => {
    const answer = (yes) => {
      $("book-confirm-yes").removeEventListener("click", onYes);
      $("book-confirm-no").removeEventListener("click", onNo);
      if (settleQuestion === answer) {
        settleQuestion = null;
        panel.hidden = true;
      }
      resolve(yes);
    };
    const onYes = () => answer(true);
    const onNo = () => answer(false);
    settleQuestion = answer;
    $("book-confirm-yes").addEventListener("click", onYes);
    $("book-confirm-no").addEventListener("click", onNo);
  });
}

/** Send one change with the page's buttons locked (no second tap sends a second move), then unlock them. */
async function locked(work) {
  busy = true;
  const buttons = [$("book-confirm-yes"), $("book-confirm-no"), $("book-cancel"), $("book-move")];
  buttons.push(...document.querySelectorAll(".book-slot"));
  const was = buttons.map((button) => button.disabled);
  for (const button of buttons) button.disabled = true;
  try {
    return await work();
  } finally {
    busy = false;
    buttons.forEach((button, i) => {
      button.disabled = was[i];
    });
  }
}

async function cancel() {
  const booking = state.booking;
  if (busy || !booking || !(await confirmAction(t("book.cancel.confirm")))) return;
  await locked(async () => {
    try {
      showBooking(await api("DELETE", `/api/bookings/${booking.code}`));
      say(t("book.cancelled"), "info");
    } catch (err) {
      showError(err.message, { code: err.code, near: "manage" });
    }
  });
}

/** A new booking after one that is no more: the form again, its topic and way kept, the old code gone from the
 * page and the address; the resident is taken to the form's first step. */
function bookAgain() {
  state.booking = null;
  state.moving = null;
  state.slot = null;
  $("booking-view").hidden = true;
  $("done-card").hidden = true;
  $("book-lookup-code").value = "";
  history.replaceState(null, "", location.pathname + location.search);
  say("");
  $("book-form").hidden = false;
  refreshPlaces();
  $("book-route").scrollIntoView({ block: "center" });
  $("book-route").focus({ preventScroll: true });
}

function startMove() {
  const booking = state.booking;
  if (!booking) return;
  state.moving = booking;
  $("book-form").hidden = false;
  $("done-card").hidden = true;
  $("book-route").value = booking.route;
  const mode = document.querySelector(`input[name="mode"][value="${booking.mode}"]`);
  if (mode) mode.checked = true;
  refreshPlaces();
  $("book-place").value = booking.place;
  refreshDays();
  say(t("book.move.hint"), "info");
  $("book-day").focus();
}

async function move(booking, slot) {
  if (busy) return;
  const question = t("book.move.confirm", { when: whenLabel(slot.start, slot.end), place: placeName(slot.place) });
  if (!(await confirmAction(question))) {
    if (settleQuestion !== null) return; // another time was tapped: its question is open, and it looks chosen
    for (const chosen of document.querySelectorAll('.book-slot[aria-pressed="true"]')) {
      chosen.setAttribute("aria-pressed", "false"); // not moved: no time looks chosen
    }
    return;
  }
  await locked(async () => {
    try {
      const moved = await api("POST", `/api/bookings/${booking.code}/move`, { start: slot.start, place: slot.place });
      state.moving = null;
      $("book-form").hidden = true;
      showBooking(moved);
      say(t("book.moved"), "info");
      $("manage-card").scrollIntoView({ block: "start" });
    } catch (err) {
      // moving: beside the times to choose from again; from the boat notice: beside the booking's buttons
      showError(err.message, { code: state.moving ? err.code : null, near: state.moving ? "slot" : "manage" });
      if (state.moving && TIME_GONE.has(err.code)) await loadSlots({ keepError: true });
    }
  });
}

function moveTo(slot) {
  return move(state.moving, slot);
}

/** Number the form's steps on show in order, in 0–9 as every catalog writes its numbers (lang15): the catalogs say
 * only what each step asks, so a path that skips one (no place for a call from home) still counts 1, 2, 3, 4, 5. */
function numberSteps() {
  let n = 0;
  for (const mark of document.querySelectorAll("#book-form .book-step-n")) {
    const shown = !mark.closest("[hidden]");
    if (shown) n += 1;
    mark.textContent = shown ? `${n}. ` : "";
  }
}

// -- wiring -------------------------------------------------------------------------------------------------

// the steps on show are numbered 1, 2, 3… in order whenever one appears or goes (a video call from home has no
// place to choose, and its day was 「४」 after 「２」: ux15 item 4)
new MutationObserver(numberSteps).observe($("book-form"), { subtree: true, attributes: true, attributeFilter: ["hidden"] });
$("book-route").addEventListener("change", refreshPlaces);
for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", refreshPlaces);
$("book-place").addEventListener("change", refreshDays);
$("book-ferry").addEventListener("change", loadSlots);
$("book-day").addEventListener("change", loadSlots);
$("book-form").addEventListener("submit", submit);
$("lookup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  lookup($("book-lookup-code").value);
});
$("book-cancel").addEventListener("click", cancel);
$("book-move").addEventListener("click", startMove);
$("book-again").addEventListener("click", bookAgain);
// the tab's language choice, shared with the chat page of the same town (TabMemory: this tab only)
const memory = new TabMemory(municipality);
new LanguagePicker({
  onError: () => showError(t("book.error.offline"), { near: "route" }),
  onChange: (code) => memory.set("lang", code),
});
followTownName($("town-name"));
document.addEventListener("i18n:change", () => {
  numberSteps();
  for (const option of $("book-route").options) {
    if (option.value) option.textContent = routeName(option.value);
  }
  refreshPlaces();
  if (state.booking) showBooking(state.booking);
});

await initI18n();
// As the chat page: the resident's own choice (this tab) first; on a first visit without ?lang=, the phone's first
// language the page offers (/book opened from a link showed Japanese to a Vietnamese phone: ux14 item 3).
const chosenLanguage = memory.get("lang") || browserLanguage();
if (chosenLanguage && chosenLanguage !== language() && !new URLSearchParams(location.search).has("lang")) {
  await setLanguage(chosenLanguage).catch(() => null);
}
applyTranslations();
// ?route=R: a link (the chat bot's booking button) chose the topic; the server marked it selected already
const linkedRoute = new URLSearchParams(window.location.search).get("route");
if (linkedRoute && options.routes.some((r) => r.id === linkedRoute)) $("book-route").value = linkedRoute;
else if (linkedRoute) showError(t("book.error.unknown_route"), { code: "unknown_route" });
refreshPlaces();
function lookupFromAddress() {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("code");
  if (fromHash) lookup(fromHash);
}
window.addEventListener("hashchange", lookupFromAddress);
lookupFromAddress();
