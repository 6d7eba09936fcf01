// The phone numbers the resident page shows at once when the bot hears something urgent.
//
// Why its own module: this list must be right when it matters most, so it is kept apart from the chat's
// moving parts. 110 and 119 are always there, first and side by side, even if the server's list were ever
// missing them (e.g. its storage was unavailable); then the town's hotlines with when to call. Every number is
// a tel: link ("#8008" becomes tel:%238008); every text goes in with textContent.

import { t } from "./i18n.js";

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

/** One <li> per hotline ({name, number, when}), emergency numbers first. 110 and 119 are named from the page's
 * catalog (resident.hotline.*, in all nine languages), not the town's file, which may name them only in ja/en. */
export function hotlineItems(hotlines) {
  const lines = hotlines.map((h) => {
    const fallback = FALLBACK_HOTLINES.find((f) => f.number === String(h.number));
    return fallback ? { ...h, name: t(fallback.nameKey) } : h;
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
    link.href = telHref(hotline.number);
    link.dataset.number = String(hotline.number);
    link.setAttribute("aria-label", t("resident.urgent.call", { name: hotline.name, number: hotline.number }));
    const number = document.createElement("span");
    number.className = "hotline-number";
    number.textContent = String(hotline.number);
    const name = document.createElement("span");
    name.className = "hotline-name";
    name.textContent = String(hotline.name || "");
    link.append(number, name);
    li.append(link);
    if (hotline.when && !emergency.includes(hotline)) {
      const when = document.createElement("span");
      when.className = "hotline-when";
      when.textContent = String(hotline.when);
      li.append(when);
    }
    return li;
  });
}
