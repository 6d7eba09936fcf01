// The town's name in the page's language, wherever a resident reads it (the chat's header, /book's).
//
// Why one module: the server puts every language's name on <body> (data-town-<code>, from the town file's
// `name`, Municipality.name.in_language) and each page showed it its own way. The chat changed it only on a
// change of language, and its first change (the phone's language, at start-up) came before it listened: a
// Vietnamese or Nepali resident read 「汐見町」 in the chat's header and "Thị trấn Shiomi" on /book (session 15).

import { language } from "./i18n.js";

/** The dataset key of the town's name in a language: data-town-easy-ja → townEasyJa. */
function townKey(code) {
  return `town${code.replace(/(^|-)([a-z])/g, (_whole, _dash, letter) => letter.toUpperCase())}`;
}

/** The town's name in `code` ("" when the page has none). */
export function townName(code) {
  return document.body.dataset[townKey(code)] || "";
}

/** Keep `element` showing the town's name in the page language: now, and on every change of language. */
export function followTownName(element) {
  const show = () => {
    element.textContent = townName(language()) || element.textContent;
  };
  document.addEventListener("i18n:change", show);
  show();
}
