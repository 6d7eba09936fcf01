// Numbers as staff read them aloud: Japanese phone numbers in their usual groups (090-1234-5678, 03-1234-5678,
// 0996-22-1234, 09969-1-2345, 0120-123-456) and booking codes in groups of four (8191 8320 4417; 8191 8320 for a code
// given before session 13), the way the kiosk shows them.
//
// Why a library: where a Japanese fixed-line number splits depends on its area code (2 to 5 digits: 03, 045,
// 0853, 09969), and only the national numbering table knows them. libphonenumber-js (vendored from npm by
// scripts/vendor-js, with Google's metadata) carries that table; a hand table here had grouped every area outside
// Tokyo and Osaka as 3-3-4, which is wrong for most of the country. Its UMD bundle, imported for its side effect,
// sets globalThis.libphonenumber (a Node test sets the same global from the same file).
// Anything that is not a valid Japanese number (abroad, too short, letters) is shown as it was given.

import "../vendor/libphonenumber-min.js";

/** "09012345678", "090 1234 5678" or "+81 90-1234-5678" → "090-1234-5678"; anything else unchanged. */
export function formatPhone(raw) {
  const text = String(raw ?? "").trim();
  if (!/^\+?[\d\s()-]+$/.test(text)) return text;
  const digits = text.replace(/\D/g, "");
  const national = text.startsWith("+") || digits.startsWith("0081") ? `+${digits.replace(/^00/, "")}` : digits;
  let parsed;
  try {
    parsed = globalThis.libphonenumber.parsePhoneNumber(national, "JP");
  } catch {
    return text; // too short, too long, not a number
  }
  return parsed?.country === "JP" && parsed.isValid() ? parsed.formatNational() : text;
}

/** Digits as they are typed on the kiosk's keys, grouped the same way so far: "099691" → "09969-1",
 *  "0996912345" → "09969-1-2345"; anything that is not digits (or a leading +) unchanged. */
export function formatPhoneAsTyped(raw) {
  const text = String(raw ?? "");
  if (!/^\+?\d+$/.test(text)) return text;
  try {
    return new globalThis.libphonenumber.AsYouType("JP").input(text) || text;
  } catch {
    return text;
  }
}

/** 819183204417 → "8191 8320 4417" (81918320 → "8191 8320"): the one way every page shows a booking code (phone
 *  page, console, kiosk), as bookings/codes.py grouped() does for mails and calendar files; another length unchanged. */
export function formatBookingCode(code) {
  const text = String(code ?? "");
  return /^(\d{12}|\d{8})$/.test(text) ? text.replace(/(\d{4})(?=\d)/g, "$1 ") : text;
}
