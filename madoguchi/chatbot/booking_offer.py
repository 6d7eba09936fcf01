"""When the bot's answer offers the booking page (/book), and which topic the page opens with.

A resident who asks about booking (「予約したい」, "can I book an appointment", 「예약하고 싶어요」…: the lexicons'
``booking`` list, or an answer from an entry marked ``booking: true``) gets a button to the booking page; so does
the line right after such an answer (「予約したい」 → the bot offers → 「戸籍のこと」). The topic is the one the
conversation names: this line without its booking words (「戸籍のことで予約したい」), else the resident's latest
earlier line with a clear topic. A topic only counts when the town's plan books it and it is not booking itself
(the 「窓口の予約」 entry says how to book, not what about); otherwise the resident chooses on the page.
Pure: the topic of a line comes from the engine (``topic``), the plan from the municipality file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from madoguchi.bookings.plan import BookingPlan
from madoguchi.chatbot.knowledge import KbEntry
from madoguchi.chatbot.lexicon import Lexicon, LexiconName
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import has_topic
from madoguchi.domain.routes import FALLBACK_ROUTE, RouteId

EARLIER_LINES = 4
"""How many of the resident's earlier lines may name the topic (the latest clear one wins)."""


class BookingOffer(BaseModel):
    """The bot offers the booking page; ``route`` is the topic chosen for the resident (None: they choose)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    route: RouteId | None = None


class Said(Protocol):
    """A line of the conversation as the offer reads it (the engine's ``Turn``)."""

    @property
    def sender(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def booking(self) -> bool: ...


Topic = Callable[[str], tuple[RouteId, bool, KbEntry | None]]
"""A folded line's route, whether it is clear, and the entry it matched (the engine's route decision)."""


def booking_offer(
    *,
    plan: BookingPlan | None,
    lexicon: Lexicon,
    folded: str,
    entry: KbEntry | None,
    history: Sequence[Said],
    topic: Topic,
) -> BookingOffer | None:
    """The offer for this line (``folded``, answered with ``entry``), or None when it is not about booking or the
    town takes no bookings."""
    if plan is None:
        return None
    asked = lexicon.search(LexiconName.BOOKING, folded) is not None or (entry is not None and entry.booking)
    bot_lines = [t for t in history if t.sender == "bot"]
    follow_up = bool(bot_lines) and bot_lines[-1].booking
    if not (asked or follow_up):
        return None
    earlier = [normalise(t.text) for t in reversed(history) if t.sender == "resident"][:EARLIER_LINES]
    for line in (folded, *earlier):
        route = _bookable_topic(line, plan, lexicon, topic)
        if route is not None:
            return BookingOffer(route=route)
    return BookingOffer()


def _bookable_topic(folded: str, plan: BookingPlan, lexicon: Lexicon, topic: Topic) -> RouteId | None:
    rest = lexicon.remove((LexiconName.BOOKING,), folded).strip()
    if not rest or (rest != folded.strip() and not has_topic(rest, lexicon)):  # 「予約したい」 minus 予約: no topic
        return None
    route, clear, entry = topic(rest)
    # the catch-all (その他・わからない) names no topic: the resident chooses rather than being booked for "other"
    if not clear or route == FALLBACK_ROUTE or (entry is not None and entry.booking):
        return None
    return route if any(desk.serves(route.value) for desk in plan.desks) else None
