// Easy Japanese on the resident chat: a closing bracket keeps the particle after it on its line.
//
// Why: easy Japanese is written with a space between phrases and the page's own texts break only there
// (chat.css: word-break: keep-all), but a line may still break after a closing bracket, so 「送る」を was cut as
// 「送る」 / を, a line opening on a particle (ux12); and 8:30〜 / 17:15. A WORD JOINER (U+2060, invisible) is put between the bracket
// and the kana that follows, in the page's own texts only (the conversation is left as it was written). The texts
// are set by many parts of the page (the catalogs, the waiting card, the no-answer panel), so one observer fixes
// them whenever they change; its own change finds nothing more to do.

import { language } from "./i18n.js";

const BRACKET_THEN_KANA = /([」』）)])(?=[\u3041-\u309f])/gu;
const TIME_RANGE = /(\d)〜(?=\d)/gu; // 8:30〜17:15 is one phrase too
const JOINER = "\u2060";

/** The text with a word joiner after each closing bracket that a kana follows ("「送る」を" → "「送る」\u2060を"). */
export function joinParticles(text) {
  return text.replace(BRACKET_THEN_KANA, `$1${JOINER}`).replace(TIME_RANGE, `$1${JOINER}〜${JOINER}`);
}

/** Keep doing it in the elements `selector` finds while the page is in easy Japanese. */
export function keepParticlesJoined(selector) {
  const fix = () => {
    if (language() !== "easy-ja") return;
    for (const el of document.querySelectorAll(selector)) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const joined = joinParticles(node.data);
        if (joined !== node.data) node.data = joined;
      }
    }
  };
  new MutationObserver(fix).observe(document.body, { childList: true, characterData: true, subtree: true });
  fix();
}
