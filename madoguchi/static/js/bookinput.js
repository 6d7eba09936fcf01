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

/** Whether a name was written in kanji (漢字, or Chinese characters): the form asks for how it is read — the staff
 *  call the name aloud and 東海林 or 王 has more than one reading — so the page asks for furigana with an example
 *  (ux16: 「山田 花子」 got the general 「カタカナ、ひらがな、または ローマ字で」 and no word about kanji). */
export function nameHasKanji(text) {
  return /[\p{Script=Han}\u3005\u3006]/u.test(text);
}

/** Whether the text's digits (any width) are the twelve of a 個人番号 with the right check digit
 *  (domain.pii_digits: my_number_check_digit; the server also reads cue words and symbols, domain.pii_fields). */
export function looksLikeMyNumber(text) {
  const digits = text.normalize("NFKC").replace(/[^0-9]/g, "");
  return digits.length === 12 && myNumberValid(digits);
}

/** Whether a phone number as typed is a 個人番号 (domain.privacy: holds_personal_number, less its cue-word reading):
 *  without a "+", twelve digits (any width) with the right check digit, however grouped; with a "+", "+81" and such
 *  twelve. A number dialled from abroad ("+82 10 …", "+81 90 1234 5678") is not read as twelve digits: one in eleven
 *  would pass the check by chance. The forms refuse a 個人番号 with the chat's sentence before anything is sent. */
export function holdsPersonalNumber(text) {
  const plain = text.normalize("NFKC").trim();
  const digits = plain.replace(/[^0-9]/g, "");
  if (plain.startsWith("+")) return digits.startsWith("81") && digits.length === 14 && myNumberValid(digits.slice(2));
  return digits.length === 12 && myNumberValid(digits);
}

function myNumberValid(digits) {
  // Pn is the n-th digit from the right (the check digit excluded), Qn = n + 1 up to 6, then n - 5 (privacy.py)
  let total = 0;
  for (let n = 1; n <= 11; n += 1) total += Number(digits[11 - n]) * (n <= 6 ? n + 1 : n - 5);
  const remainder = total % 11;
  return (remainder <= 1 ? 0 : 11 - remainder) === Number(digits[11]);
}

/** A Japanese phone number (booking_desk.form_fields: japanese_phone()): 10 or 11 digits starting with 0 (not 00),
 *  or +81 and 9 or 10 digits without the 0; spaces, hyphens and parentheses between. */
export function japanesePhone(text) {
  const plain = text.normalize("NFKC").replace(/[‐‑‒–—―−ー]/g, "-");
  if (!/^\+?[0-9()\- ]{10,20}$/.test(plain)) return false;
  const digits = plain.replace(/[^0-9]/g, "");
  if (plain.startsWith("+")) return digits.startsWith("81") && (digits.length === 11 || digits.length === 12) && digits[2] !== "0";
  return (digits.length === 10 || digits.length === 11) && digits[0] === "0" && digits[1] !== "0";
}

/** What is wrong with a contact (booking_desk.form_fields: contact()): null when it is empty, a Japanese phone
 *  number or an e-mail address; "my_number" for a 個人番号 (its own sentence, the number never repeated); else
 *  "contact". The phone is read first, as on the server: a real "+81 90 …" is never taken for a 個人番号. */
export function contactProblem(text) {
  const plain = text.normalize("NFKC").trim();
  if (!plain) return null;
  if (japanesePhone(plain)) return null;
  if (looksLikeMyNumber(plain) || holdsPersonalNumber(plain)) return "my_number";
  if (/^[^\s@,;<>"]+@[^\s@,;<>"]+\.[A-Za-z]{2,}$/.test(plain)) return null;
  return "contact";
}

/** Empty, an e-mail address, or a Japanese phone number (and no 個人番号). */
export function contactLooksRight(text) {
  return contactProblem(text) === null;
}

/** The catalog key of the sentence for a contact's problem. */
export const CONTACT_ERROR = Object.freeze({ contact: "book.error.contact", my_number: "book.error.contact_my_number" });

/** Refusals that mean the chosen time is gone (taken meanwhile, passed while the page was open, a boat cancelled):
 *  the form shows the day's times again, and the sentence stays up so the person knows why. */
export const TIME_GONE = new Set(["full", "past_slot", "too_late", "no_such_slot", "closed_day", "beyond_horizon", "no_ferry"]);
