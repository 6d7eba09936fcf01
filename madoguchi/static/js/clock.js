// Clock times on every page in the municipality's time zone (JST by default), whatever zone the browser is in.
//
// Why: a console in a browser set to another zone, or a kiosk whose system clock zone was never set, must still
// show the times residents and staff talk about (「10時に お電話します」). The zone comes from the page
// (<body data-time-zone>, the MADOGUCHI_TIMEZONE setting) and defaults to Asia/Tokyo.

const DEFAULT_ZONE = "Asia/Tokyo";

/** The zone the page shows times in. */
export function timeZone() {
  return document.body?.dataset.timeZone || DEFAULT_ZONE;
}

/** "14:05" (24-hour, the hour of two digits: "08:30") for an epoch time in seconds, in `zone` (the page's unless
 * given): the one clock every page and dates.js write. */
export function formatTime(epochSeconds, zone = timeZone()) {
  return new Intl.DateTimeFormat("ja-JP", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone })
    .format(new Date(Number(epochSeconds) * 1000));
}

/** "8:30" for "08:30": a clock time as notices and booking lists write it (the hour without its leading zero). */
export function noticeClock(hhmm) {
  return String(hhmm).trim().replace(/^0(\d)/, "$1");
}

/** The calendar day, weekday and clock of `date` in `zone`, as numbers (the words come from elsewhere: dates.js,
 * admin.js 「2026年12月8日（火） 8:30」). `weekday`: 0 = Sunday. */
export function zonedFields(date, zone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: zone,
  }).formatToParts(date);
  const part = (type) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const [year, month, day] = [part("year"), part("month"), part("day")];
  return { year, month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(), hour: part("hour"), minute: part("minute") };
}

/** {@link zonedFields} of an epoch time in seconds in the page's zone. */
export function zonedParts(epochSeconds) {
  return zonedFields(new Date(Number(epochSeconds) * 1000), timeZone());
}
