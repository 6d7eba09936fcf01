// Numbers as staff read them aloud: Japanese phone numbers in their usual groups (090-1234-5678, 03-1234-5678,
// 0120-123-456) and booking codes in two groups of four (8191 8320), the way the kiosk shows them.
//
// Why a table: each kind of number is a prefix and a grouping; a new kind is one row. Fixed lines other than
// Tokyo (03) and Osaka (06) are grouped 3-3-4 (045-123-4567): the exact split of 4- and 5-digit area codes
// (0853-21-2345) needs the national area-code table, which is not here; every digit is still shown, in order.
// Anything that is not a Japanese number (abroad, too short, letters) is shown as it was given.

/** [the digits must match, the group lengths] — the first row that matches wins. */
const PHONE_GROUPS = Object.freeze([
  [/^0[5789]0\d{8}$/, [3, 4, 4]], // mobile and IP phones: 090-1234-5678, 050-1234-5678
  [/^0120\d{6}$/, [4, 3, 3]], // toll-free: 0120-123-456
  [/^0570\d{6}$/, [4, 3, 3]], // navi dial: 0570-123-456
  [/^0800\d{7}$/, [4, 3, 4]], // toll-free: 0800-123-4567
  [/^0[36]\d{8}$/, [2, 4, 4]], // Tokyo and Osaka: 03-1234-5678
  [/^0\d{9}$/, [3, 3, 4]], // other fixed lines: 045-123-4567
]);

function split(digits, lengths) {
  const parts = [];
  let at = 0;
  for (const length of lengths) {
    parts.push(digits.slice(at, at + length));
    at += length;
  }
  return parts.join("-");
}

/** "09012345678", "090 1234 5678" or "+81 90-1234-5678" → "090-1234-5678"; anything else unchanged. */
export function formatPhone(raw) {
  const text = String(raw ?? "").trim();
  if (!/^\+?[\d\s()-]+$/.test(text)) return text;
  let digits = text.replace(/\D/g, "");
  if (text.startsWith("+81")) digits = `0${digits.slice(2)}`;
  else if (digits.startsWith("0081")) digits = `0${digits.slice(4)}`;
  const row = PHONE_GROUPS.find(([pattern]) => pattern.test(digits));
  return row ? split(digits, row[1]) : text;
}

/** 81918320 → "8191 8320": the one way every page shows a booking code (phone page, console, kiosk); a code of
 *  another length unchanged. */
export function formatBookingCode(code) {
  const text = String(code ?? "");
  return /^\d{8}$/.test(text) ? `${text.slice(0, 4)} ${text.slice(4)}` : text;
}
