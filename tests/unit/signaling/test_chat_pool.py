"""A town's web chats under a flood (session 12): the per-browser and per-address caps multiplied, so seven
addresses filled the town's 200 open chats and every resident after them was refused. Now a smaller share per
address under pressure, and at the ceiling a new chat takes the place of a bot-only chat (an over-share address's
first, then an idle one), never one waiting for or with a person. Time is passed in."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.chat_pool import EVICTED
from madoguchi.signaling.consultation import Channel, State
from madoguchi.signaling.counter import (
    Counter,
    CounterConfig,
    CounterError,
    CounterState,
    ResidentReleased,
    Transitioned,
)

TOWN = "setouchi"
TOWN_SIZED = {"max_open_chats_per_municipality": 200, "max_open_per_source": 30, "max_opens_per_source": 100}


def make(**config: Any) -> Counter:
    return Counter(CounterState(), CounterConfig(**{**TOWN_SIZED, **config}))


def bot_chat(counter: Counter, cid: str, *, source: str, now: float, to_person: bool = False) -> str:
    counter.open(
        consultation_id=cid,
        municipality_id=TOWN,
        channel=Channel.CHAT,
        resident=f"resident:{cid}",
        route="tax",
        now=now,
        to_person=to_person,
        source=source,
    )
    return cid


def flood(counter: Counter, addresses: int, *, now: float) -> int:
    """Each address opens bot chats until refused; returns how many are open."""
    opened = 0
    for a in range(addresses):
        for n in range(100):
            try:
                bot_chat(counter, f"f{a}-{n}", source=f"198.51.100.{a}", now=now)
            except CounterError as refused:
                assert refused.code == "source_limit"
                break
            opened += 1
    return opened


def test_seven_addresses_no_longer_fill_a_town_and_a_fresh_resident_gets_a_chat() -> None:
    counter = make()
    opened = flood(counter, 7, now=0.0)
    assert opened <= 100 + 7 * 5  # before: 200 (7 x 30 = 210, the town's ceiling the only bound)
    bot_chat(counter, "resident", source="203.0.113.9", now=1.0)
    assert counter.state.consultations["resident"].state == State.TRIAGE


def test_under_pressure_each_address_gets_a_smaller_share() -> None:
    counter = make(max_open_chats_per_municipality=20, max_open_per_source_under_pressure=2)
    for n in range(9):  # 9 of 20: not yet under pressure (half)
        bot_chat(counter, f"a{n}", source="a", now=0.0)
    bot_chat(counter, "a9", source="a", now=0.0)  # the 10th: under pressure from now on
    bot_chat(counter, "b0", source="b", now=0.0)
    bot_chat(counter, "b1", source="b", now=0.0)
    with pytest.raises(CounterError) as refused:
        bot_chat(counter, "b2", source="b", now=0.0)
    assert refused.value.code == "source_limit" and "connection" in refused.value.message
    with pytest.raises(CounterError):
        bot_chat(counter, "a10", source="a", now=0.0)


def test_at_the_ceiling_a_chat_of_an_address_over_its_share_makes_room_the_longest_idle_first() -> None:
    counter = make(max_open_chats_per_municipality=6, max_open_per_source_under_pressure=2)
    for n in range(3):
        bot_chat(counter, f"a{n}", source="a", now=float(n))  # before the pressure: "a" holds 3, over its 2
    counter.touch_chat("a0", resident="resident:a0", now=50.0)  # a0 wrote again: a1 is the longest idle
    bot_chat(counter, "b0", source="b", now=0.0)  # idle longer than a1, but its address is within its share
    bot_chat(counter, "c0", source="c", now=10.0)
    bot_chat(counter, "d0", source="d", now=10.0)  # 6: the ceiling
    counter.effects.clear()
    bot_chat(counter, "e0", source="e", now=200.0)  # every chat idle the 120 s
    assert "a1" not in counter.state.consultations  # ended (an ended case leaves the live state)
    assert ResidentReleased("a1", "resident:a1", EVICTED, rate=False) in counter.effects
    (ended,) = [e for e in counter.effects if isinstance(e, Transitioned) and e.consultation.id == "a1"]
    assert (ended.consultation.state, ended.consultation.end_reason) == (State.ABANDONED, EVICTED)
    assert counter.state.consultations["e0"].state == State.TRIAGE


def test_a_chat_waiting_for_or_with_a_person_is_never_ended_and_a_busy_town_says_so() -> None:
    counter = make(max_open_chats_per_municipality=3, chat_idle_evict_s=120.0)
    bot_chat(counter, "w", source="a", now=0.0, to_person=True)  # waiting in the queue
    bot_chat(counter, "h", source="b", now=0.0)
    counter.handoff("h", resident="resident:h", route="tax", urgent=False, now=1.0)
    bot_chat(counter, "t", source="c", now=0.0)  # with the bot, writing
    counter.touch_chat("t", resident="resident:t", now=100.0)
    with pytest.raises(CounterError) as refused:
        bot_chat(counter, "new", source="d", now=200.0)  # t wrote 100 s ago: not idle yet
    assert refused.value.code == "busy"
    assert "new" not in counter.state.consultations
    bot_chat(counter, "new", source="d", now=220.0)  # now t is idle: it makes room, nothing else does
    assert set(counter.state.consultations) == {"w", "h", "new"}
    bot_chat(counter, "next", source="e", now=10_000.0)  # hours later: "new" is idle, w and h still never
    assert {c.id for c in counter.state.consultations.values() if c.is_open} == {"w", "h", "next"}


def test_a_chat_over_its_share_is_not_ended_while_its_resident_writes() -> None:
    """Homes behind one carrier-NAT IPv4 address share it: being over the share is no reason to cut a resident who
    wrote a moment ago."""
    counter = make(max_open_chats_per_municipality=6, max_open_per_source_under_pressure=1, chat_idle_evict_s=120.0)
    for n in range(3):
        bot_chat(counter, f"nat{n}", source="100.64.0.1", now=0.0)  # before the pressure: over its share of 1
    for other in "bcd":
        bot_chat(counter, f"{other}0", source=other, now=0.0)  # 6: the ceiling
    for n in range(3):
        counter.touch_chat(f"nat{n}", resident=f"resident:nat{n}", now=90.0)
    with pytest.raises(CounterError) as refused:
        bot_chat(counter, "new", source="e", now=100.0)  # b0, c0, d0 silent 100 s: not yet idle (120)
    assert refused.value.code == "busy"  # before: nat0 (over its address's share) was ended mid-sentence
    assert set(counter.state.consultations) == {"nat0", "nat1", "nat2", "b0", "c0", "d0"}
    bot_chat(counter, "new", source="e", now=150.0)  # b0 idle 150 s: it makes room, not the writing residents
    assert set(counter.state.consultations) == {"nat0", "nat1", "nat2", "c0", "d0", "new"}
    bot_chat(counter, "next", source="f", now=215.0)  # nat0..2 idle 125 s now: over the share, they go first
    assert "nat0" not in counter.state.consultations and "next" in counter.state.consultations


def test_a_chat_that_touched_danger_is_never_ended_to_make_room() -> None:
    counter = make(max_open_chats_per_municipality=2, chat_idle_evict_s=120.0)
    bot_chat(counter, "asked", source="a", now=0.0)
    counter.touch_chat("asked", resident="resident:asked", now=1.0, danger=True)  # the bot asked "are you safe?"
    bot_chat(counter, "plain", source="b", now=0.0)
    counter.touch_chat("plain", resident="resident:plain", now=2.0)  # a plain line: not marked
    assert counter.state.consultations["asked"].danger and not counter.state.consultations["plain"].danger
    bot_chat(counter, "new", source="c", now=10_000.0)  # hours of silence: the plain one makes room
    assert "plain" not in counter.state.consultations and "asked" in counter.state.consultations
    counter.touch_chat("asked", resident="resident:asked", now=10_001.0)  # a later plain line keeps the mark
    counter.touch_chat("new", resident="resident:new", now=19_950.0)  # "new" writes; "asked" silent for hours
    with pytest.raises(CounterError) as refused:
        bot_chat(counter, "later", source="d", now=20_000.0)
    assert refused.value.code == "busy"  # the town's phone number is on the page; "asked" keeps its chat
    assert "asked" in counter.state.consultations and counter.state.consultations["asked"].danger


def test_a_touch_counts_only_in_the_bot_chat() -> None:
    counter = make()
    bot_chat(counter, "x", source="a", now=0.0)
    counter.touch_chat("x", resident="resident:x", now=5.0)
    assert counter.state.consultations["x"].resident_active_at == 5.0
    with pytest.raises(CounterError) as refused:
        counter.touch_chat("x", resident="resident:someone-else", now=6.0)
    assert refused.value.code == "forbidden"


def test_one_ipv6_allocation_cannot_take_the_pool_with_its_many_slash_64s() -> None:
    """Each IPv6 /64 counts as one address (ui.address_key), and one /48 holds 65,536 of them: before session 13 a
    flood from one allocation, a chat a /64, filled the town; now under pressure its /48 together holds at most 10."""
    counter = make()
    opened = 0
    for n in range(200):
        try:
            bot_chat(counter, f"v6-{n}", source=f"2001:db8:1:{n:x}::/64", now=0.0)
        except CounterError as refused:
            assert refused.code == "source_limit" and "network" in refused.message
            break
        opened += 1
    # one chat a /64 until the town is under pressure (100 of 200); then the /48 already holds over its 10
    assert opened == 100
    with pytest.raises(CounterError) as refused:
        bot_chat(counter, "v6-next", source="2001:db8:1:ffff::/64", now=0.0)
    assert refused.value.code == "source_limit"
    bot_chat(counter, "neighbour", source="2001:db8:2:1::/64", now=0.0)  # another /48: a chat as usual
    bot_chat(counter, "v4", source="203.0.113.9", now=0.0)
    assert counter.state.consultations["neighbour"].state == State.TRIAGE


def test_ipv4_addresses_of_one_slash_24_are_not_held_together() -> None:
    """A carrier's NAT pool puts many homes in one IPv4 /24: only the IPv6 /48 is one allocation."""
    counter = make(max_open_chats_per_municipality=20, max_open_per_network_under_pressure=2)
    for n in range(14):
        bot_chat(counter, f"c{n}", source=f"100.64.0.{n}", now=0.0)
    assert len(counter.state.consultations) == 14


def test_at_the_ceiling_a_chat_of_an_ipv6_network_over_its_share_makes_room_first() -> None:
    counter = make(
        max_open_chats_per_municipality=6, max_open_per_source_under_pressure=2, max_open_per_network_under_pressure=2
    )
    for n in range(3):  # before the pressure: one /48 holds 3 (over its 2), one chat a /64
        bot_chat(counter, f"v{n}", source=f"2001:db8:1:{n}::/64", now=10.0)
    bot_chat(counter, "b0", source="b", now=0.0)  # idle longer, but within its share
    bot_chat(counter, "c0", source="c", now=0.0)
    bot_chat(counter, "d0", source="d", now=0.0)  # 6: the ceiling
    bot_chat(counter, "e0", source="e", now=200.0)
    assert "v0" not in counter.state.consultations and "b0" in counter.state.consultations
