// What a booking form checks before sending, shared by the phone page (book.js) and the console (staffbooking.js),
// so a resident or an agent reads why at once, in their words, instead of the server's generic "check the input".
// The server checks the same again (booking_desk.form_fields: kana(), contact()); these only mirror its rules.

/** A name as the server takes it (booking_desk.form_fields: kana()): in kana (hiragana, katakana also half-width, the
 *  long-vowel mark, middle dot, spaces), or in Latin letters with spaces, hyphen, apostrophe, dot ("Maria Santos");
 *  never a digit (a personal number typed in the wrong field); at most 40 characters. */
export function nameLooksRight(text) {
  const plain = text.normalize("NFKC").replace(/\u3000/g, " ").trim().replace(/ +/g, " ");
  if (!plain || plain.length > 40) return false;
  if (/^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb ]+$/.test(plain)) return true;
  return /[A-Za-z\u00c0-\u024f\u1e00-\u1eff]/.test(plain) && /^[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff .'\-]+$/.test(plain);
}

/** Whether a phone number as typed is a 個人番号 (domain.privacy: holds_personal_number, less its cue-word reading):
 *  twelve digits (any width) with the right check digit, however grouped or prefixed, or "+81" and such twelve. The
 *  forms refuse it with the chat's sentence about personal numbers before anything is sent. */
export function holdsPersonalNumber(text) {
  const plain = text.normalize("NFKC").trim();
  const digits = plain.replace(/[^0-9]/g, "");
  if (digits.length === 12 && myNumberValid(digits)) return true;
  return plain.startsWith("+") && digits.startsWith("81") && digits.length === 14 && myNumberValid(digits.slice(2));
}

function myNumberValid(digits) {
  // Pn is the n-th digit from the right (the check digit excluded), Qn = n + 1 up to 6, then n - 5 (privacy.py)
  let total = 0;
  for (let n = 1; n <= 11; n += 1) total += Number(digits[11 - n]) * (n <= 6 ? n + 1 : n - 5);
  const remainder = total % 11;
  return (remainder <= 1 ? 0 : 11 - remainder) === Number(digits[11]);
}

/** Empty, an e-mail address, or a phone number of 10 digits or more. */
export function contactLooksRight(text) {
  if (!text) return true;
  if (/^[^\s@,;<>"]+@[^\s@,;<>"]+\.[A-Za-z]{2,}$/.test(text)) return true;
  const plain = text.normalize("NFKC");
  return /^\+?[0-9()\- ]+$/.test(plain) && plain.replace(/[^0-9]/g, "").length >= 10;
}

/** Refusals that mean the chosen time is gone (taken meanwhile, passed while the page was open, a boat cancelled):
 *  the form shows the day's times again, and the sentence stays up so the person knows why. */
export const TIME_GONE = new Set(["full", "past_slot", "too_late", "no_such_slot", "closed_day", "beyond_horizon", "no_ferry"]);
