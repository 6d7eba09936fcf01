"""The spelled-digit stage: a 個人番号 read aloud into a text box, one word a digit (「いち に さん よん …」,
"one two three four …", 「一二三四…」 mixed with words or digits), masked when twelve of them in a row have the right
check digit. Split from ``privacy.py``; the words are ``SPELLED_DIGITS_WORDS`` and ``SPELLED_DIGITS_GLUED`` in
``pii_words.py``.

Digits written as digits or kanji numerals are the run reader's (``pii_runs.py``); this stage looks only at runs
that hold at least one spelled word, so nothing it does changes how written digits are read. Between two words of
one run stand at most :data:`MAX_SEPARATORS` separator characters (spaces, hyphens, commas, 、, ・ …) and nothing
else: "one or two people" is no run. Only the check digit makes a run a number, so ordinary text — "one, two,
three o'clock", 「いち に さん し」 counting, dates — is never taken: it has fewer than twelve such words in a row, and
then one chance in eleven.
"""

from __future__ import annotations

import re

from madoguchi.domain.pii_digits import digit_value, fold_text
from madoguchi.domain.pii_digits import fold as _fold
from madoguchi.domain.pii_runs import date_amount_count_spans
from madoguchi.domain.pii_tokens import mask_spans
from madoguchi.domain.pii_words import GROUP_SEPARATORS, SPELLED_DIGITS_GLUED, SPELLED_DIGITS_WORDS

MAX_SEPARATORS = 3  # separator characters between two words (or digits) of one run
MY_NUMBER_DIGITS = 12


def _folded(word: str) -> str:
    return "".join(map(_fold, word))


_VALUES: dict[str, int] = {_folded(w): v for w, v in (SPELLED_DIGITS_WORDS | SPELLED_DIGITS_GLUED).items()}
_WHOLE = "|".join(map(re.escape, sorted({_folded(w) for w in SPELLED_DIGITS_WORDS}, key=len, reverse=True)))
_GLUED = "|".join(map(re.escape, sorted({_folded(w) for w in SPELLED_DIGITS_GLUED}, key=len, reverse=True)))
_LETTER = r"[^\W\d_]"
# over the folded text, where every digit of any script (kanji numerals too) is an ASCII digit
_TOKEN_RE = re.compile(f"(?P<digit>\\d)|(?<!{_LETTER})(?P<whole>{_WHOLE})(?!{_LETTER})|(?P<glued>{_GLUED})")
_WORD_HINT_RE = re.compile(f"(?<!{_LETTER})(?:{_WHOLE})(?!{_LETTER})|{_GLUED}")


def mask_spelled(text: str, kinds: list[str]) -> str:
    """Twelve spelled digits in a row (words, or words and digits) with the right check digit → the 個人番号 token."""
    folded = fold_text(text)
    if _WORD_HINT_RE.search(folded) is None:
        return text
    spans: list[tuple[int, int]] = []
    phones: list[tuple[int, int]] = []
    for run in _runs(folded):
        words = [k for k, (_start, _end, _digit, word) in enumerate(run) if word]
        if not words:
            continue  # digits alone are the run reader's
        values = [digit for _start, _end, digit, _word in run]
        if _spelled_phone(text, folded, run, values):
            phones.append((run[0][0], run[-1][1]))
            continue
        i, next_word = 0, 0
        while i + MY_NUMBER_DIGITS <= len(run):
            while next_word < len(words) and words[next_word] < i:
                next_word += 1
            if next_word == len(words):
                break
            if words[next_word] >= i + MY_NUMBER_DIGITS:
                i = words[next_word] - MY_NUMBER_DIGITS + 1  # no word in this window: the run reader's digits
                continue
            if _not_spelled_among_written(text, folded, run[i : i + MY_NUMBER_DIGITS]):
                i += 1
                continue
            if _checks(values, i):
                spans.append((run[i][0], run[i + MY_NUMBER_DIGITS - 1][1]))
                i += MY_NUMBER_DIGITS
            else:
                i += 1
    if phones:  # both kinds at once, so neither stage's positions move under the other
        merged = sorted([(span, "my_number") for span in spans] + [(span, "phone") for span in phones])
        for (start, end), kind in reversed(merged):
            text = mask_spans(text, [(start, end)], kind, [])
        kinds.extend(kind for _span, kind in merged)
        return text
    return mask_spans(text, spans, "my_number", kinds)


PHONE_DIGITS = (10, 11)


def _spelled_phone(text: str, folded: str, run: list[tuple[int, int, int, bool]], values: list[int]) -> bool:
    """A whole run of ten or eleven spelled digits that starts 0 and then not 0, as a Japanese phone number does
    (「ぜろきゅうぜろ いちにさんよん ごろくななはち」, session 16): masked as a phone number. Ten spelled digit words in
    a row are no counting or date, and a run of more is left to the 個人番号 check above."""
    return (
        len(run) in PHONE_DIGITS
        and values[0] == 0
        and values[1] != 0
        and not _not_spelled_among_written(text, folded, run)
        and sum(word for *_rest, word in run) >= MIN_WORDS_AMONG_DIGITS
    )


_GLUED_SET = frozenset(_folded(w) for w in SPELLED_DIGITS_GLUED)


MIN_WORDS_AMONG_DIGITS = 6
"""A run that mixes written digits with spelled words is a number only when at least half of it is words."""


def _not_spelled_among_written(text: str, folded: str, window: list[tuple[int, int, int, bool]]) -> bool:
    """Whether twelve tokens that hold digits written as digits (``0``-``9`` of any width; kanji numerals count as
    spelled) are no spelled number: a kana glued to its neighbours (「く」, 「し」, 「に」) among them, or fewer than
    :data:`MIN_WORDS_AMONG_DIGITS` spelled ones. Ordinary words after a written number hold such kana and short words
    (「…1よろしく」 read 「し」「く」 as 4 and 9; "… ba ba" as 3 3), and eleven or ten written digits with them pass the
    check one time in eleven (CI's property test found 「000000000001くく」); nobody spells one or two digits of a
    number and writes the rest as digits."""
    written = spelled = glued = 0
    for start, end, _digit, word in window:
        if not word and text[start].isdigit():
            written += 1
            continue
        spelled += 1
        glued += word and folded[start:end] in _GLUED_SET
    return written > 0 and (glued > 0 or spelled < MIN_WORDS_AMONG_DIGITS)


_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(11, 0, -1))
"""The check digit's weight of each of the first eleven digits, left to right (``my_number_check_digit``)."""


def _checks(values: list[int], i: int) -> bool:
    """Whether the twelve digits from ``values[i]`` are a 個人番号 (its check digit right), with no string built."""
    remainder = sum(v * w for v, w in zip(values[i : i + 11], _WEIGHTS, strict=True)) % 11
    return (0 if remainder <= 1 else 11 - remainder) == values[i + 11]


def _runs(folded: str) -> list[list[tuple[int, int, int, bool]]]:
    """Spelled words and digits with only a few separators between: (start, end, digit, is a word) each. A digit of
    a date, a time, an amount or a counted thing ends a run, and so does a word with no other word beside it: 「3日
    に 5人」, "at 10 one more" hold a word between digits, not a spelled number."""
    protected = [False] * len(folded)
    for start, end in date_amount_count_spans(folded):
        protected[start:end] = [True] * (end - start)
    runs: list[list[tuple[int, int, int, bool]]] = []
    run: list[tuple[int, int, int, bool]] = []
    for m in _TOKEN_RE.finditer(folded):
        gap = folded[run[-1][1] : m.start()] if run else ""
        if run and (len(gap) > MAX_SEPARATORS or any(ch not in GROUP_SEPARATORS for ch in gap)):
            runs.append(run)
            run = []
        if m.group("digit") is not None:
            if protected[m.start()]:
                runs.append(run)
                run = []
                continue
            value = digit_value(m.group())
            run.append((m.start(), m.end(), 0 if value is None else value, False))
        else:
            run.append((m.start(), m.end(), _VALUES[m.group()], True))
    runs.append(run)
    return [piece for run in runs for piece in _without_lone_words(run) if len(piece) >= min(PHONE_DIGITS)]


def _without_lone_words(run: list[tuple[int, int, int, bool]]) -> list[list[tuple[int, int, int, bool]]]:
    """The run split at every word whose neighbours in it are not words (the word itself left out)."""
    pieces: list[list[tuple[int, int, int, bool]]] = [[]]
    for k, token in enumerate(run):
        word = token[3]
        beside = (k > 0 and run[k - 1][3]) or (k + 1 < len(run) and run[k + 1][3])
        if word and not beside:
            pieces.append([])
        else:
            pieces[-1].append(token)
    return pieces
