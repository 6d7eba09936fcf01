// Days and times in the page's language: the resident's (the booking page, the kiosk's bookings and check-in) and
// staff's short ones (the supervisor's booths, the console's call-back list: formatShortDayTime).
//
// Why not Intl alone: a browser without a language's date data (Debian's Chromium has none for Nepali) falls back
// to a root format and shows 「M12 8, Tue」. Whether the browser can format a language is asked once
// (Intl.DateTimeFormat.supportedLocalesOf); where it cannot, the day is put together from the catalog's month and
// weekday words (`date.months`, `date.weekdays`, `date.day`), so every one of the nine languages reads right.

import { formatTime, zonedFields, zonedParts } from "./clock.js";
import { language, t } from "./i18n.js";

// page language → the locale asked of Intl (easy Japanese is written as Japanese; Tagalog's data is Filipino's)
const LOCALES = Object.freeze({ "easy-ja": "ja-JP", tl: "fil" });

const known = new Map();

/** The locale Intl formats `lang` in, or null when this browser has no date data for it. */
export function intlLocale(lang = language()) {
  const locale = LOCALES[lang] || lang;
  if (!known.has(locale)) {
    let ok = false;
    try {
      ok = Intl.DateTimeFormat.supportedLocalesOf([locale], { localeMatcher: "lookup" }).length > 0;
    } catch {
      ok = false;
    }
    known.set(locale, ok);
  }
  return known.get(locale) ? locale : null;
}

function word(key, index, tr = t) {
  const words = tr(key).split("|");
  return words[index] ?? String(index + 1);
}

// Digits as the pages write every number (times, booking codes, phone numbers, the kiosk's keys): a browser with
// Nepali date data would write the day 「डिसेम्बर ८」 in Devanagari digits beside 「8:30–8:50」 on the same line.
const DIGITS = Object.freeze({ numberingSystem: "latn" });

/** 「12月9日(水)」: month in words, day, short weekday, in the page's language and `timeZone`; or in `lang`, worded
 * by `tr` (its catalog: i18n.translatorFor), for a line sent to a resident who reads another language. */
export function formatDay(date, { timeZone = "Asia/Tokyo", lang = language(), tr = t } = {}) {
  const locale = intlLocale(lang);
  if (locale) {
    return new Intl.DateTimeFormat(locale, { ...DIGITS, month: "long", day: "numeric", weekday: "short", timeZone })
      .format(date);
  }
  const f = zonedFields(date, timeZone);
  return tr("date.day", {
    month: word("date.months", f.month - 1, tr),
    day: f.day,
    weekday: word("date.weekdays", f.weekday, tr),
  });
}

/** 「8:30〜8:50」, "8:30–8:50": two clock times as a range, joined as the language joins them (`hours.time_range`,
 * the opening hours' own): the booking page wrote 〜 in every language. */
export function formatTimeRange(start, end, tr = t) {
  return tr("hours.time_range", { start, end });
}

/** A day and its times as one phrase, joined as the language joins them (`date.day_times`): 「12月8日(火) 8:30〜8:50」,
 * "Thứ 3, 8 tháng 12, 8:30–8:50" — without the comma the day's 12 ran into the time (「12 8:30」). */
export function formatDayWithTimes(day, times, tr = t) {
  return tr("date.day_times", { day, times });
}

/** 「12月9日(水) 10:00」: the day as formatDay says it and the 24-hour clock (clock.js's formatTime), in `timeZone`. */
export function formatDayAndTime(date, { timeZone = "Asia/Tokyo" } = {}) {
  const locale = intlLocale();
  if (locale) {
    return new Intl.DateTimeFormat(locale, {
      ...DIGITS,
      month: "long",
      day: "numeric",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone,
    }).format(date);
  }
  return `${formatDay(date, { timeZone })} ${formatTime(date.getTime() / 1000, timeZone)}`;
}

/** 「12月7日（月） 14:05」: the short day staff lists show (the supervisor's booths, the call-back list), with its
 * weekday — Japanese offices read the day by it; 「12/7 14:05」 had none (session 15) — and the 24-hour clock, in
 * the page's zone (clock.js), worded by the catalog (`date.short_day_time`) in each of the nine languages. */
export function formatShortDayTime(epochSeconds) {
  const f = zonedParts(epochSeconds);
  return t("date.short_day_time", {
    month: f.month,
    day: f.day,
    weekday: word("date.weekdays", f.weekday),
    time: formatTime(epochSeconds),
  });
}
