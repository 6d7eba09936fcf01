"""The sample town speaks every page language where residents read it: each hotline's name and what it is for
(with its hours), the town's hours and the places' names. A line missing in one language showed English on a
Vietnamese or Nepali page (or Japanese on an easy-Japanese one)."""

from __future__ import annotations

from madoguchi.chatbot.knowledge import DATA_DIR, LocalizedText, load_knowledge_base
from madoguchi.domain.languages import PAGE_LANGUAGES


def _missing(what: str, text: LocalizedText | str | None) -> list[str]:
    if not isinstance(text, LocalizedText):
        return [f"{what}: not per language"]
    return [f"{what}: {code}" for code in PAGE_LANGUAGES if not text.has(code)]


def test_every_resident_facing_line_of_the_sample_town_is_in_every_page_language() -> None:
    town = load_knowledge_base(DATA_DIR / "shiomi").municipality
    missing = _missing("hours", town.hours)
    for hotline in town.hotlines:
        missing += _missing(f"{hotline.id}.name", hotline.name) + _missing(f"{hotline.id}.when", hotline.when)
    for place in town.places:
        missing += _missing(f"{place.id}.name", place.name)
    assert missing == []


def test_every_entry_title_of_the_sample_town_is_in_every_foreign_page_language() -> None:
    """Suggestion buttons and links show the entry's title: a Vietnamese resident got English ones. (Easy
    Japanese titles fall back to the Japanese, which is already short and plain, not to English.)"""
    kb = load_knowledge_base(DATA_DIR / "shiomi")
    foreign = [code for code in PAGE_LANGUAGES if code not in ("ja", "easy-ja")]
    missing = [f"{e.id}: {code}" for e in kb.entries for code in foreign if not e.title.has(code)]
    assert missing == []


# One place, one name, in every language's answer: the ferry was 「なぎしま」 in the timetable (the island's own
# name) and 「なぎしま丸」 in the vehicles entry, the nursing home しおさい苑 beside しおみ苑, the police 汐見警察署
# beside 汐見駐在所. Each answer that names one of them in Japanese script (every translation quotes it) uses the
# town's one name.
_ONE_NAME = {
    "ferry": (
        "なぎしま丸",
        ("フェリー「なぎしま」", "“Nagishima（なぎしま）”", "(なぎしま)", "(なぎしま )", "なぎしま (Nagishima)"),
    ),
    "nursing home": ("しおみ苑", ("しおさい苑",)),
    "police": ("汐見駐在所", ("汐見警察署",)),
}


def test_the_sample_town_calls_each_place_by_one_name_in_every_language() -> None:
    kb = load_knowledge_base(DATA_DIR / "shiomi")
    wrong = [
        f"{entry.id}: {place} {other!r}"
        for entry in kb.entries
        for text in entry.answer.all_texts()
        for place, (_name, others) in _ONE_NAME.items()
        for other in others
        if other in text
    ]
    assert wrong == []
    named = {
        place
        for entry in kb.entries
        for text in entry.answer.all_texts()
        for place, (name, _o) in _ONE_NAME.items()
        if name in text
    }
    assert named == set(_ONE_NAME)


# A fee that is "free of charge" is no fee: 「Lệ phí miễn phí」 ("the fee is free") read as a slip to a Vietnamese
# resident (UX round 12, the seal-registration answer). Say what is free instead (「Đăng ký miễn phí」).
_VI_AWKWARD = ("Lệ phí miễn phí", "Phí miễn phí", "Lệ phí là miễn phí")


def test_no_vietnamese_answer_of_the_sample_town_says_the_fee_is_free_of_charge() -> None:
    kb = load_knowledge_base(DATA_DIR / "shiomi")
    wrong = [
        f"{entry.id}: {phrase!r}"
        for entry in kb.entries
        if entry.answer.vi
        for phrase in _VI_AWKWARD
        if phrase.casefold() in entry.answer.vi.casefold()
    ]
    assert wrong == []
