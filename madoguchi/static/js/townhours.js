// A town's opening hours in the resident's words: 「受付時間: 月〜金 8:30〜17:15、土〜日 お休み」.
//
// Why its own module: the "no one can answer" panel and the booth's "closed now" notice show the same hours, and
// both must show the hours an admin set on /admin (the server's TownHours: `hours` in queue.position and in the
// resident's view, and the ack of hours.get), not a sentence written once in the municipality file. Days in a
// row with the same windows are said once; the words come from the page catalogs (hours.*), so every language
// reads them its own way.

import { noticeClock as clock } from "./clock.js";
import { hasText, t } from "./i18n.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** "08:30-12:00,13:00-17:15" → "8:30〜12:00 13:00〜17:15"; "closed" → 「お休み」. */
function windows(text) {
  if (!text || text === "closed") return t("hours.closed");
  return text
    .split(",")
    .map((window) => {
      const [start, end] = window.split("-");
      return t("hours.time_range", { start: clock(start), end: clock(end || "") });
    })
    .join(" ");
}

/** The week as one line, days in a row with the same hours together (no label). */
export function weekText(weekly) {
  const groups = [];
  for (const day of DAYS) {
    const text = weekly?.[day] || "closed";
    const last = groups[groups.length - 1];
    if (last && last.text === text) last.days.push(day);
    else groups.push({ text, days: [day] });
  }
  return groups
    .map(({ text, days }) => {
      const first = t(`hours.day.${days[0]}`);
      const label = days.length === 1 ? first : t("hours.days_range", { first, last: t(`hours.day.${days.at(-1)}`) });
      return `${label} ${windows(text)}`;
    })
    .join(t("hours.separator"));
}

/** 「きょうは お休みの日です。受付時間: …」 from the server's TownHours; the municipality file's sentence
 * (page text town.hours) when the town gave no hours as data; "" when neither. */
export function hoursText(hours) {
  if (hours && hours.weekly) {
    const today = hours.closed_today ? `${t("hours.closed_today")} ` : "";
    return `${today}${t("hours.label")} ${weekText(hours.weekly)}`;
  }
  return hasText("town.hours") ? t("town.hours") : "";
}
