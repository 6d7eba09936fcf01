"""What a resident reads beside an answer or a booking is in their page's language: the answer's link titles (a
Nepali chat showed 「Applying for the My Number Card」) and the ferry's home island (a Vietnamese booking page said
「Tôi đi tàu từ 凪島」)."""

from __future__ import annotations

from madoguchi.bookings.plan import FerryLine
from madoguchi.chatbot.knowledge import DATA_DIR, load_knowledge_base
from madoguchi.domain.languages import PAGE_LANGUAGES


def test_every_link_title_and_island_of_the_sample_town_is_in_every_page_language() -> None:
    kb = load_knowledge_base(DATA_DIR / "shiomi")
    missing = [
        f"{entry.id} link {link.url}: {code}"
        for entry in kb.entries
        for link in entry.links
        for code in PAGE_LANGUAGES
        if not link.title.has(code)
    ]
    missing += [
        f"{p.id}.island: {code}"
        for p in kb.municipality.places
        if p.island
        for code in PAGE_LANGUAGES
        if not p.island.has(code)
    ]
    assert sum(len(entry.links) for entry in kb.entries) >= 20 and missing == []


def test_every_ferry_name_and_home_of_the_sample_town_is_in_every_page_language() -> None:
    plan = load_knowledge_base(DATA_DIR / "shiomi").municipality.booking
    assert plan is not None and plan.ferries
    missing = [
        f"{line.id}.{field}: {code}"
        for line in plan.ferries
        for field, texts in (("name", line.name), ("home", line.home))
        for code in PAGE_LANGUAGES
        if not texts.get(code)
    ]
    assert missing == []
    assert plan.ferries[0].home_in("vi") == "đảo Nagishima"


def test_a_ferry_name_missing_in_a_language_falls_back_like_every_text() -> None:
    line = FerryLine.model_validate(
        {
            "id": "nagishima",
            "name": {"ja": "凪島航路", "en": "Nagishima ferry"},
            "home": {"ja": "凪島", "en": "Nagishima"},
            "places": ["honcho"],
            "days": ["mon"],
            "arrivals": ["8:25"],
            "departures": ["16:20"],
        }
    )
    assert line.home_in("vi") == "Nagishima" and line.label("ne") == "Nagishima ferry"  # English, not 凪島
    assert line.home_in("easy-ja") == "凪島" and line.label("ja") == "凪島航路"
