// What a person typed or pasted, made fit for the server's text rule before it is sent.
//
// Why: the server refuses any text holding a control character other than tab, newline and carriage return, or
// a lone surrogate (docs/protocol.md, "Text"; a NUL once blocked every record behind it). A person never means
// one: a word processor's pasted line break is a vertical tab or a form feed, a Windows-1252 ellipsis read the
// wrong way is U+0085. So every payload a page sends (net.js request()) goes through cleanPayload(): those line
// breaks become a newline, the other refused characters are dropped, a lone surrogate becomes U+FFFD. The server
// still checks; a client that skips this gets invalid_payload naming the field.

const LINE_BREAKS = /[\v\f\x85]/g;
const REFUSED = /[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]/g;

/** One text, cleaned. */
export function cleanText(text) {
  const cleaned = text.replace(LINE_BREAKS, "\n").replace(REFUSED, "");
  return typeof cleaned.toWellFormed === "function" ? cleaned.toWellFormed() : cleaned;
}

/** Every string inside a payload (objects and arrays too), cleaned; other values as they are. */
export function cleanPayload(value) {
  if (typeof value === "string") return cleanText(value);
  if (Array.isArray(value)) return value.map(cleanPayload);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k), cleanPayload(v)]));
  }
  return value;
}
