"""A town's pool of anonymous web chats under a flood: who may open one more, and whose bot chat makes room.

Until session 12 the limits were per browser (3), per client address (30) and per town (200): they multiply, so
seven addresses filled a town's 200 and every resident after them was refused (``busy``) until the flood's chats
ended. Now, per town:

- **Pressure.** Once the town's open web chats reach ``chat_pressure_share`` of the ceiling (half of 200), each
  client address may hold at most ``max_open_per_source_under_pressure`` (5) instead of 30: seven addresses hold
  at most 100 + 7 × 5, and a flood needs about twenty addresses to reach the ceiling, not seven.
  An IPv6 client counts as its /64 (what one home or phone is given), so one allocation's /48 holds 65,536 such
  "addresses": under pressure the chats of one IPv6 /48 together are also capped, at
  ``max_open_per_network_under_pressure`` (10; session 13, ``domain.networks.network_of``). Not an IPv4 /24:
  the homes behind a carrier's NAT pool share those, and one IPv4 address is one address already.
- **Room at the ceiling.** At the ceiling a new chat takes the place of one *bot-only* chat (state ``triage``):
  only one whose resident wrote nothing for ``chat_idle_evict_s`` (many homes share one carrier-NAT IPv4
  address: an address over its share is no reason to cut a resident mid-sentence): first those of addresses
  holding more than their share under pressure (the flood's, opened before the pressure began), the longest idle
  first; then any, the longest idle first. A chat waiting for a person or with one is never ended: a resident who
  reached the queue keeps their place; nor is one that touched danger (the bot's "are you safe?" question, a
  hotline, an urgent or danger reason: :attr:`Consultation.danger`). When none may be ended, the new chat is
  refused ``busy``; the page says so in the resident's language with the town's phone number. An ended chat's
  resident is told (``consultation.closed``, reason ``evicted``) with the same number, and may start again.

Pure: the counter passes the cases and the time.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from typing import Final

from madoguchi.domain.networks import ipv6_network_of
from madoguchi.signaling.consultation import Consultation, State
from madoguchi.signaling.state import CounterConfig

EVICTED: Final = "evicted"
"""The end reason of a bot-only chat that made room for a new one at the town's ceiling."""

CHAT_TOUCH_S: Final = 30.0
"""A bot chat's last activity (:attr:`Consultation.resident_active_at`) is written at most this often: the idle
order needs minutes, not every line (each write is a live-state transaction)."""


def town_chats(cases: Iterable[Consultation], municipality_id: str) -> list[Consultation]:
    """The town's open anonymous web chats (every state: with the bot, waiting, with a person)."""
    return [c for c in cases if c.is_open and c.source is not None and c.municipality_id == municipality_id]


def under_pressure(open_chats: int, config: CounterConfig) -> bool:
    return open_chats >= config.chat_pressure_share * config.max_open_chats_per_municipality


def open_limit_per_source(open_chats: int, config: CounterConfig) -> int:
    """How many open chats one client address may hold when a new one would start now."""
    if under_pressure(open_chats, config):
        return min(config.max_open_per_source, config.max_open_per_source_under_pressure)
    return config.max_open_per_source


def open_in_network(chats: Iterable[Consultation], source: str) -> tuple[str, int] | None:
    """The IPv6 /48 ``source`` belongs to and how many of ``chats`` come from it; ``None`` for any other source."""
    network = ipv6_network_of(source)
    if network is None:
        return None
    return network, sum(1 for c in chats if c.source is not None and ipv6_network_of(c.source) == network)


def idle_since(c: Consultation) -> float:
    return c.created_at if c.resident_active_at is None else c.resident_active_at


def room_for_one(chats: list[Consultation], config: CounterConfig, now: float) -> Consultation | None:
    """The bot-only chat a new one takes the place of at the ceiling, or ``None`` when none may be ended: of the
    chats idle ``chat_idle_evict_s``, first one of an address (or an IPv6 /48) over its share under pressure, then
    any; the longest idle first in each. Never a chat waiting for a person or with one, never one that touched danger
    (:attr:`Consultation.danger`: the "are you safe?" question pending, a hotline, an urgent or danger reason), and
    never one whose resident wrote within ``chat_idle_evict_s``, over its address's share or not (residents behind
    one carrier-NAT IPv4 address share it: they are not cut mid-sentence)."""
    share = config.max_open_per_source_under_pressure
    held = Tally(c.source for c in chats)
    networks = {c.id: network for c in chats if c.source is not None and (network := ipv6_network_of(c.source))}
    in_network = Tally(networks.values())
    with_bot = sorted((c for c in chats if c.state == State.TRIAGE), key=lambda c: (idle_since(c), c.id))
    idle = [c for c in with_bot if not c.danger and now - idle_since(c) >= config.chat_idle_evict_s]
    over_share = [
        c
        for c in idle
        if held[c.source] > share or in_network[networks.get(c.id, "")] > config.max_open_per_network_under_pressure
    ]
    if over_share:
        return over_share[0]
    return idle[0] if idle else None
