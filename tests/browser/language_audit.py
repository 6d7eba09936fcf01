"""What a reader of each page language must never meet: text in a script their language does not use.

Foreign residents (vi, pt, tl, ne, zh, ko, en) and やさしい日本語 readers read the pages in their own language; a
Japanese sentence left in a Vietnamese page, a Latin word in an easy-Japanese one or a key shown for a missing text
is a sentence they cannot read. :func:`audit` sweeps a page: every text it shows, and every catalog-worded element
(``data-i18n``) whether shown now or not (a screen not reached yet, a notice not raised), with the placeholders and
labels read aloud; :func:`script_problems` says what is out of place.

Numbers and ranges follow one convention a page: digits as the resident types them (0-9, Nepali too: the times,
booking codes and the kiosk's keys are written so), and 〜 joins times only in Japanese (the others join them as the
catalogs' ``hours.time_range`` says).

What is allowed, and why (keep it short):

- Japanese in brackets after the translated word, 「Phòng Thuế (税務課)」 or 「… (住民票)」: the name the resident
  will see on the office's sign or the paper they ask for, on purpose.
- The language controls: the picker's buttons name each language in its own script, the one-tap switch names the
  language it switches to (「日本語」, 「English」), and the picker's opener says "Language" beside the page's word,
  so that anyone finds it.
- The town's name in the header (``#town-name``), written as the town writes it: console15 is changing how the chat
  header shows it; allowed here for now. Likewise the kiosk's own name and place (``booth-place``): the name staff
  gave the booth in /admin, one name, as on its sign — the town's data, not a catalog's text.
- What the resident typed themselves (``own``: a name as the booking keeps it, 「ヤマダ ハナコ」).
- In a Japanese or easy-Japanese page, the acronyms Japanese writes in Latin letters (QR, URL, ID, CSV, Excel, …).
"""

from __future__ import annotations

import re
from typing import Final

from playwright.async_api import Page

LANGUAGES: Final = ("ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne")

TEXTS_JS: Final = r"""(also) => {
  const skip = '#lang-switch, .lang-option, #town-name, [data-testid="booth-place"], script, style, template, noscript'
    + (also ? `, ${also}` : '');
  const found = [];
  const where = (el) => el.dataset?.i18n || el.dataset?.testid || el.id
    || (el.parentElement ? where(el.parentElement) : el.tagName);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || el.closest(skip)) continue;
    if (el.checkVisibility() || el.closest('[data-i18n]')) found.push([where(el), text]);
  }
  for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [alt], [title]')) {
    if (el.closest(skip)) continue;
    if (!el.checkVisibility() && !el.matches('[data-i18n-placeholder], [data-i18n-aria-label], [data-i18n-title]')) {
      continue;
    }
    for (const name of ['placeholder', 'aria-label', 'alt', 'title']) {
      const text = (el.getAttribute(name) || '').trim();
      if (text) found.push([`${where(el)}@${name}`, text]);
    }
  }
  found.push(['title', document.title]);
  return found;
}"""

SET_LANGUAGE_JS: Final = "(code) => import('/static/js/i18n.js').then((m) => m.setLanguage(code))"

KANA: Final = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
HANGUL: Final = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
DEVANAGARI: Final = re.compile(r"[\u0900-\u097f]")
DEVANAGARI_DIGIT: Final = re.compile(r"[\u0966-\u096f]")
"""Numbers are written in the digits the resident types and the kiosk's keys show (times, booking codes, phone
numbers), Nepali included: 「१. के कामको लागि हो?」 stood above 「डिसेम्बर 8 8:30–8:50」 on one page."""
LATIN_WORD: Final = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
BRACKETED: Final = re.compile(r"[(（][^()（）]*[)）]")
KEY_LIKE: Final = re.compile(r"^[a-z_]+(\.[a-z0-9_]+){1,}$")
"""A text that is a catalog key itself (``resident.error.heading``): t() found no text for it in any catalog."""

JAPANESE_ACRONYMS: Final = frozenset({"QR", "URL", "ID", "CSV", "Excel", "PDF", "Language"})
"""Latin words a Japanese page writes as they are: QR (コード), URL, ID, CSV and Excel files, PDF; and the picker
opener's "Language" (see the module docstring)."""


def script_problems(language: str, texts: list[list[str]], own: tuple[str, ...] = ()) -> list[str]:
    """Each text of ``texts`` ([where, text] pairs) in a script ``language`` does not use, or a bare key; the
    resident's ``own`` words (what they typed) taken out first."""
    problems = []
    for where, shown in texts:
        text = shown
        for words in own:
            text = text.replace(words, "")
        if KEY_LIKE.match(text):
            problems.append(f"{language} {where}: a catalog key shown, no text for it: {shown!r}")
            continue
        plain = BRACKETED.sub("", text)
        wrong = []
        if language not in ("ja", "easy-ja") and KANA.search(plain):
            wrong.append("kana")
        if language not in ("ja", "easy-ja", "zh") and HAN.search(plain):
            wrong.append("kanji")
        if language != "ko" and HANGUL.search(plain):
            wrong.append("hangul")
        if language != "ne" and DEVANAGARI.search(plain):
            wrong.append("devanagari")
        if DEVANAGARI_DIGIT.search(plain):
            wrong.append("Devanagari digits")
        if language not in ("ja", "easy-ja") and "〜" in plain:
            wrong.append("the Japanese wave dash 〜")
        if language in ("ja", "easy-ja"):
            latin = [w for w in LATIN_WORD.findall(plain) if w not in JAPANESE_ACRONYMS]
            if latin:
                wrong.append("latin " + " ".join(latin))
        if wrong:
            problems.append(f"{language} {where}: {', '.join(wrong)} in {shown!r}")
    return problems


async def audit(
    page: Page, screen: str, languages: tuple[str, ...] = LANGUAGES, *, own: tuple[str, ...] = (), skip: str = ""
) -> list[str]:
    """The page switched to each of ``languages`` in turn (as the picker does), its texts checked; it ends in
    Japanese. Each problem names the screen, the language and the element (its catalog key where it has one).
    ``skip``: CSS selectors of parts left out (a conversation's lines stay in the language they were said in)."""
    found = []
    for code in languages:
        await page.evaluate(SET_LANGUAGE_JS, code)
        await page.wait_for_timeout(30)  # what re-renders on i18n:change has re-rendered
        found += [f"{screen} {p}" for p in script_problems(code, await page.evaluate(TEXTS_JS, skip), own)]
    await page.evaluate(SET_LANGUAGE_JS, "ja")
    return found
