// The booth's name and place in the kiosk's header, said once: 「汐見郵便局ブース」 with the place 「汐見郵便局」
// is one name, not 「汐見郵便局ブース 汐見郵便局」. The labels are pure; booth.js puts one in `booth-place` and
// fitPlace() makes it fit whole: the booth's name is what tells the resident they are at the right counter, so it
// is never cut with … (a portrait kiosk showed 「汐見町役場 凪島出張所 ふれあいセ…」). It takes two lines (broken
// between phrases), then a smaller size down to the CSS floor (--place-min), then gives up the place before the
// name; only a name too long for all that takes a third line.

/** Text without spaces and in one width, for comparing (「汐見 郵便局」 and 「汐見郵便局」 are the same place). */
const plain = (text) => String(text || "").normalize("NFKC").replace(/\s+/g, "");

/** Which of the booth's name and its place the header says: "name" when the name says the place already,
 * "place" when the place says the name, "both" otherwise (a missing one: the other). */
function partsShown(name, place) {
  if (!name || !place) return name ? "name" : "place";
  if (plain(name).includes(plain(place))) return "name";
  if (plain(place).includes(plain(name))) return "place";
  return "both";
}

/** The header's label: the name, and the place only when it says something the name does not. */
export function placeLabel(name, place) {
  return labelOf(name, place, place);
}

/** The label with the parts the Japanese one shows (partsShown over the Japanese name and place), each part in the
 * words given (`local`: the place's name in the page's language; `localName`: the booth's). */
function labelOf(name, place, local, localName = "") {
  const n = String(name || "").trim();
  const p = String(place || "").trim();
  const l = String(local || "").trim() || p;
  const ln = String(localName || "").trim() || n;
  const shown = partsShown(n, p);
  return shown === "name" ? ln : shown === "place" ? l : `${ln}・${l}`;
}

/** The booth's display name in `lang` as the admin gave it (the server's `names`, session 16), or "" when that
 * language shows the Japanese one. */
function ownName(booth, lang) {
  const local = String(booth.names?.[lang] || "").trim();
  return local && local !== String(booth.name || "").trim() ? local : "";
}

/**
 * The header's label in the page's language: the same parts as the Japanese header in every language (tidy14:
 * English showed only the place, 「Shiomi Post Office」, where Japanese showed the booth's name, and dropped the
 * name of 「ブース1・汐見郵便局」), the place part in the page's language — as the admin named it in that language,
 * or its Japanese name with the romaji reading (the server's `place_names`). The booth's own name is the admin's
 * name in that language when they gave one (the server's `names`, session 16), else its Japanese wording.
 * @param {{name?: string, place?: string|null, location?: string, place_names?: Object<string, string>}} booth
 * @param {string} lang
 */
export function placeLabelIn(booth, lang) {
  const local = booth.place ? booth.place_names?.[lang] : null;
  return labelOf(booth.name, booth.place || booth.location, local, ownName(booth, lang));
}

/** The language of the label placeLabelIn() gives: the page's when it is the place's own name in that language
 * alone, else Japanese (the booth's name), so that the browser breaks it between Japanese phrases. */
export function placeLabelLanguage(booth, lang) {
  const local = booth.place ? String(booth.place_names?.[lang] || "").trim() : "";
  const name = ownName(booth, lang);
  const japanese = partsShown(String(booth.name || "").trim(), String(booth.place || booth.location || "").trim());
  const inLang = { name: Boolean(name), place: Boolean(local), both: Boolean(name && local) }[japanese];
  return lang !== "ja" && inLang ? lang : "ja";
}

/** Shorter labels to fall back on when the whole one does not fit: the booth's name alone (the key information). */
export function placeLabelsIn(booth, lang) {
  const whole = placeLabelIn(booth, lang);
  const name = ownName(booth, lang) || String(booth.name || "").trim();
  return name && name !== whole && whole.startsWith(name) ? [whole, name] : [whole];
}

/** Whether ``el``'s text shows whole within ``lines`` lines of its box. */
function fits(el, lines) {
  const style = getComputedStyle(el);
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.25;
  // lines counted with rounding: a glyph's ink may reach a pixel or two past its line box, which is not a line
  return el.scrollWidth <= el.clientWidth + 1 && Math.round(el.scrollHeight / line) <= lines;
}

/** The first of ``labels`` that fits in ``lines`` lines at a size from the CSS size down to --place-min (or ``floor``,
 * when larger); true if one did. */
function fitAny(el, labels, floor = 0, most = 2) {
  el.style.fontSize = "";
  const lines = Math.min(most, parseFloat(getComputedStyle(el).getPropertyValue("--place-lines")) || most);
  const largest = parseFloat(getComputedStyle(el).fontSize);
  const smallest = Math.max(floor, parseFloat(getComputedStyle(el).getPropertyValue("--place-min")) || largest);
  for (const label of labels) {
    el.textContent = label;
    for (let size = largest; size >= smallest; size -= 1) {
      el.style.fontSize = `${size}px`;
      if (fits(el, lines)) return true;
    }
  }
  el.style.fontSize = `${smallest}px`;
  return false;
}

/**
 * Put the first of ``labels`` that fits whole into ``el``: beside the header's other parts (two lines at most, the
 * size stepping down from the CSS size to --place-min), else — where the CSS allows it (--place-own-row: a
 * portrait kiosk, which has height to spare; a phone, --place-own-row: wrap, when the whole label is not one line
 * beside them) — on a row of its own under them, one line there, else two. What fits nowhere: the name alone at the floor, on a third line, never
 * cut with … (a phone showed 「汐見町役…」 until tidy10). The whole first label stays in ``title``.
 */
export function fitPlace(el, labels) {
  const bar = el.parentElement;
  el.title = labels[0] || "";
  delete bar.dataset.placeRow;
  if (getComputedStyle(el).getPropertyValue("--place-own-row").trim() === "1") {
    // a portrait kiosk or a phone: the CSS gives the name a row of its own under the other parts (kiosk.css,
    // office9: beside them it squeezed the readiness pill to 「準備できてい…」); one line there keeps the screens
    // below their room, two when one does not hold it
    bar.dataset.placeRow = "own";
    if (fitAny(el, labels, 0, 1)) return;
  }
  if (getComputedStyle(el).getPropertyValue("--place-own-row").trim() === "wrap") {
    // a phone: beside the other parts when the whole label fits on one line there, else a row of its own
    if (fitAny(el, labels.slice(0, 1), 0, 1)) return;
    bar.dataset.placeRow = "own";
  }
  if (fitAny(el, labels)) return;
}
