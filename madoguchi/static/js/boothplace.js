// The booth's name and place in the kiosk's header, said once: 「汐見郵便局ブース」 with the place 「汐見郵便局」
// is one name, not 「汐見郵便局ブース 汐見郵便局」. Pure; booth.js puts the result in `booth-place`, whose CSS keeps
// it on one line (cut with … rather than broken inside a word).

/** Text without spaces and in one width, for comparing (「汐見 郵便局」 and 「汐見郵便局」 are the same place). */
const plain = (text) => String(text || "").normalize("NFKC").replace(/\s+/g, "");

/** The header's label: the name, and the place only when it says something the name does not. */
export function placeLabel(name, place) {
  const n = String(name || "").trim();
  const p = String(place || "").trim();
  if (!n || !p) return n || p;
  if (plain(n).includes(plain(p))) return n;
  if (plain(p).includes(plain(n))) return p;
  return `${n}・${p}`;
}
