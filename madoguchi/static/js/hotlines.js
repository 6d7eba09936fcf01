// The phone numbers the resident page shows at once when the bot hears something urgent.
//
// Why its own module: this list must be right when it matters most, so it is kept apart from the chat's
// moving parts. 110 and 119 are always there, first and side by side, even if the server's list were ever
// missing them (e.g. its storage was unavailable); then the town's hotlines with when to call. Every number is
// a tel: link ("#8008" becomes tel:%238008); every text goes in as text nodes, broken between phrases (phrases.js).

import { language, t } from "./i18n.js";
import { phraseFragment } from "./phrases.js";

const EMERGENCY = ["110", "119"];
const FALLBACK_HOTLINES = [
  { id: "police", nameKey: "resident.hotline.police", number: "110", when: "" },
  { id: "fire", nameKey: "resident.hotline.fire", number: "119", when: "" },
];

/** A tel: link for a number as written ("#8008" → tel:%238008). */
export function telHref(number) {
  const dialable = String(number).replace(/[^0-9#*+]/g, "");
  return `tel:${dialable.replace(/#/g, "%23")}`;
}

/** A number shown as a link: a tel: link where it can be dialled (a phone, a PC with a softphone), plain text on the
 * kiosk (body.kiosk: a booth cannot dial, and a tap on tel: opened nothing or a dead "open app?" dialog). The
 * number's look stays (large, bold) from its own class. */
export function setDial(link, number) {
  if (document.body.classList.contains("kiosk")) link.removeAttribute("href");
  else link.href = telHref(number);
}

/** A hotline's text in the page's language now: from ``names``/``whens`` (every page language, sent with the
 * line), else the text the line came with. The resident may switch language after the bot posted the numbers. */
function inPageLanguage(byLanguage, said) {
  const text = byLanguage && typeof byLanguage === "object" ? byLanguage[language()] : null;
  return typeof text === "string" && text ? text : said;
}

/** One <li> per hotline ({name, number, when, names, whens}), emergency numbers first, named in the page's
 * language at the time of drawing (the caller draws again on i18n:change). 110 and 119 are named from the page's
 * catalog (resident.hotline.*, in all nine languages), not the town's file, which may name them only in ja/en. */
export function hotlineItems(hotlines) {
  const lines = hotlines.map((h) => {
    const fallback = FALLBACK_HOTLINES.find((f) => f.number === String(h.number));
    if (fallback) return { ...h, name: t(fallback.nameKey) };
    return { ...h, name: inPageLanguage(h.names, h.name), when: inPageLanguage(h.whens, h.when) };
  });
  for (const fallback of FALLBACK_HOTLINES) {
    if (!lines.some((h) => String(h.number) === fallback.number)) {
      lines.unshift({ ...fallback, name: t(fallback.nameKey) });
    }
  }
  const emergency = lines.filter((h) => EMERGENCY.includes(String(h.number)));
  const others = lines.filter((h) => !EMERGENCY.includes(String(h.number)));
  emergency.sort((a, b) => String(a.number).localeCompare(String(b.number)));
  return [...emergency, ...others].map((hotline) => {
    const li = document.createElement("li");
    li.className = emergency.includes(hotline) ? "hotline hotline-emergency" : "hotline";
    const link = document.createElement("a");
    link.className = "hotline-link";
    setDial(link, hotline.number);
    link.dataset.number = String(hotline.number);
    link.setAttribute("aria-label", t("resident.urgent.call", { name: hotline.name, number: hotline.number }));
    const number = document.createElement("span");
    number.className = "hotline-number";
    number.textContent = String(hotline.number);
    const name = document.createElement("span");
    name.className = "hotline-name";
    name.append(phraseFragment(hotline.name || "", language())); // 「こころの/健康/相談/統一/ダイヤル」, never 「ダイ/ヤル」
    link.append(number, name);
    li.append(link);
    if (hotline.when && !emergency.includes(hotline)) {
      const when = document.createElement("span");
      when.className = "hotline-when";
      when.append(phraseFragment(hotline.when, language()));
      li.append(when);
    }
    return li;
  });
}
