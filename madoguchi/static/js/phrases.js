// Line breaks between phrases, not inside words, for Japanese (and Chinese) text drawn by script.
//
// Why: Japanese has no spaces, so a browser may break a line between any two characters, and a narrow phone cut
// 「こころの健康相談統一ダイヤル」 as 「…統一ダイ / ヤル」. The text is cut into phrases with Intl.Segmenter (a word
// with the particles, small kana and closing brackets that lean on it), joined by <wbr>, and the element's CSS
// keeps the rest together (`word-break: keep-all`; `overflow-wrap: anywhere` still breaks a phrase wider than
// the whole line). Pure DOM building with text nodes only; a browser without Intl.Segmenter gets the plain text.

const LEANS_BACK = /^([のをにへとでやもはがねなよ]|ます|です|ました|でした|ません|ない|て|た|だ|[ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮーゝゞ、。，．・：）」』】〕！？!?)\]]+)$/u;
const LEANS_FORWARD = /^([（「『【〔(\[]+|[おご])$/u;
const OPENS = /[（「『【〔(\[]/gu;
const CLOSES = /[）」』】〕)\]]/gu;
const CJK = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/u;
const KANJI = /^[\u3400-\u9fff\uf900-\ufaff]$/u;
const KATAKANA = /^[\u30a0-\u30ff]+$/u;

/** Whether `segment` belongs to the phrase `before` rather than starting one: a particle or small kana, a
 * one-kanji suffix (相談|所, 公|的), katakana the segmenter cut (ナ|ビ), or anything inside open brackets. */
function joins(before, segment) {
  if (!before) return false;
  const open = (before.match(OPENS) || []).length - (before.match(CLOSES) || []).length;
  if (open > 0 || LEANS_BACK.test(segment)) return true;
  const last = before.at(-1);
  if (KANJI.test(segment) && KANJI.test(last)) return true;
  return KATAKANA.test(segment) && KATAKANA.test(last);
}

/** The phrases of `text` ("こころの健康相談統一ダイヤル" → ["こころの", "健康", "相談", "統一", "ダイヤル"]). */
export function phrases(text, lang = "ja") {
  const source = String(text ?? "");
  if (!CJK.test(source) || typeof Intl.Segmenter !== "function") return [source];
  const out = [];
  let forward = "";
  for (const { segment } of new Intl.Segmenter(lang === "zh" ? "zh" : "ja", { granularity: "word" }).segment(source)) {
    if (/^\s+$/u.test(segment)) {
      if (out.length && !forward) out[out.length - 1] += segment; // a space stays with the phrase before it
      else forward += segment;
    } else if (!forward && joins(out.at(-1), segment)) {
      out[out.length - 1] += segment;
    } else if (LEANS_FORWARD.test(segment)) {
      forward += segment;
    } else {
      out.push(forward + segment);
      forward = "";
    }
  }
  if (forward) out.push(forward);
  return out;
}

/** `text` as text nodes with a <wbr> between phrases, for an element styled `word-break: keep-all`. */
export function phraseFragment(text, lang = "ja") {
  const fragment = document.createDocumentFragment();
  phrases(text, lang).forEach((phrase, i) => {
    if (i) fragment.append(document.createElement("wbr"));
    fragment.append(document.createTextNode(phrase));
  });
  return fragment;
}
