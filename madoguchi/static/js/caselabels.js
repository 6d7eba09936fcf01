// How the console names a case's parts in the agent's language: its topic, the resident's language, and where
// they are (a booth and its place, or the home chat). Shared by the queue, the offer and the call's details.

import { language, t } from "./i18n.js";

export function routeName(route) {
  return route ? t(`route.${route}`) : "";
}

export function languageName(code) {
  const key = `lang.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

export function placeText(item) {
  if (item.channel === "chat") return t("console.channel.chat");
  // the booth's name in the console's language when the admin gave one (session 16), else its Japanese name
  const booth = item.booth_names?.[language()] || item.booth_name || "";
  const place = item.place || "";
  if (booth && place && booth !== place) return t("console.queue.place", { booth, place });
  return booth || place;
}
