"""Anonymous web chats: limits per client address and per town, only the first urgent case of an address is put
ahead, and booth residents are not pushed back by chat volume. Time is passed in."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import Counter, CounterConfig, CounterError, CounterState

TOWN = "setouchi"


def chat(counter: Counter, n: int, *, now: float, source: str = "198.51.100.7", urgent: bool = False) -> str:
    cid = f"chat{n}"
    counter.open(
        consultation_id=cid,
        municipality_id=TOWN,
        channel=Channel.CHAT,
        resident=f"resident:r{n}",
        route="tax",
        now=now,
        urgent=urgent,
        to_person=True,
        source=source,
    )
    return cid


def booth(counter: Counter, name: str, *, now: float, urgent: bool = False) -> str:
    counter.open(
        consultation_id=name,
        municipality_id=TOWN,
        channel=Channel.BOOTH,
        resident=f"booth:{name}",
        booth_id=name,
        route="tax",
        now=now,
        urgent=urgent,
    )
    return name


def make(**config: Any) -> Counter:
    return Counter(CounterState(), CounterConfig(**config))


def test_open_chats_per_address_are_limited_and_other_addresses_are_not() -> None:
    counter = make(max_open_per_source=3)
    for n in range(3):
        chat(counter, n, now=float(n))
    with pytest.raises(CounterError) as refused:
        chat(counter, 3, now=4.0)
    assert refused.value.code == "source_limit" and "connection" in refused.value.message
    assert "chat3" not in counter.state.consultations  # a refusal changes nothing
    chat(counter, 4, now=5.0, source="203.0.113.9")
    counter.cancel("chat0", resident="resident:r0", now=6.0)
    chat(counter, 5, now=7.0)  # a place came free


def test_chats_started_per_address_are_limited_over_a_window() -> None:
    counter = make(max_open_per_source=100, max_opens_per_source=2, source_window_s=60.0)
    chat(counter, 0, now=0.0)
    counter.cancel("chat0", resident="resident:r0", now=1.0)
    chat(counter, 1, now=2.0)
    counter.cancel("chat1", resident="resident:r1", now=3.0)
    with pytest.raises(CounterError, match="started") as refused:
        chat(counter, 2, now=59.0)
    assert refused.value.code == "source_limit"
    chat(counter, 3, now=60.5)  # the first start left the window
    assert list(counter.state.source_opens) == ["198.51.100.7"]


def test_open_chats_per_town_are_limited() -> None:
    counter = make(max_open_chats_per_municipality=2)
    chat(counter, 0, now=0.0, source="a")
    chat(counter, 1, now=1.0, source="b")
    with pytest.raises(CounterError) as refused:
        chat(counter, 2, now=2.0, source="c")
    assert refused.value.code == "busy"
    booth(counter, "b1", now=3.0)  # booths do not count


def test_only_the_first_urgent_chat_of_an_address_is_put_ahead_and_agents_see_the_count() -> None:
    counter = make()
    chat(counter, 0, now=0.0, source="other")
    first = chat(counter, 1, now=1.0, urgent=True)
    second = chat(counter, 2, now=2.0, urgent=True)
    c1, c2 = counter.state.consultations[first], counter.state.consultations[second]
    assert (c1.prioritised, c1.source_count) == (True, 1)
    assert (c2.prioritised, c2.urgent, c2.source_count) == (False, True, 2)
    assert [c.id for c in counter.queue()] == ["chat1", "chat0", "chat2"]


def test_a_booth_resident_who_was_waiting_stays_ahead_of_a_chat_flood() -> None:
    counter = make(max_open_per_source=40, max_opens_per_source=40)
    booth(counter, "b1", now=0.0)
    for n in range(40):
        chat(counter, n, now=1.0 + n / 10, urgent=True)
    booth(counter, "b2", now=10.0)  # a later booth resident: after the one prioritised chat, before the rest
    order = [c.id for c in counter.queue()]
    assert order[:4] == ["b1", "chat0", "b2", "chat1"]
    assert sum(c.prioritised for c in counter.queue() if c.channel == Channel.CHAT) == 1


def test_urgent_chats_from_many_addresses_put_only_a_few_ahead_of_a_later_booth_resident() -> None:
    """Session 6's outside attack: 40 urgent chats from 40 addresses, then a booth resident came 41st."""
    counter = make(max_prioritised_chats_per_municipality=3)
    for n in range(40):
        chat(counter, n, now=n / 10, urgent=True, source=f"2001:db8:0:{n:x}::/64")
    booth(counter, "b1", now=10.0)
    order = [c.id for c in counter.queue()]
    assert order[:4] == ["chat0", "chat1", "chat2", "b1"]
    assert all(c.urgent for c in counter.queue() if c.channel == Channel.CHAT)  # agents still see them urgent
    counter.cancel("chat0", resident="resident:r0", now=11.0)
    chat(counter, 99, now=12.0, urgent=True, source="203.0.113.1")  # a place among the few came free
    assert [c.id for c in counter.queue()][:4] == ["chat1", "chat2", "b1", "chat99"]
    other_town = make(max_prioritised_chats_per_municipality=0)
    chat(other_town, 0, now=0.0, urgent=True)
    booth(other_town, "b1", now=1.0)
    assert [c.id for c in other_town.queue()] == ["b1", "chat0"]  # 0: no web chat ever goes ahead of a booth


def test_an_urgent_booth_case_comes_first_and_an_urgent_chat_before_later_booths() -> None:
    counter = make()
    booth(counter, "b1", now=0.0)
    chat(counter, 0, now=1.0, urgent=True)
    booth(counter, "b2", now=2.0)
    booth(counter, "b3", now=3.0, urgent=True)
    chat(counter, 1, now=4.0, source="someone else")
    assert [c.id for c in counter.queue()] == ["b3", "b1", "chat0", "b2", "chat1"]
