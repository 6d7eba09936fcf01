"""Booth names for views: the booths of cases a process has not seen are read in one query, then cached; an id the
database does not know is not asked again for a while, and a failed read is tried again a little later."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from madoguchi.signaling.lookups import UNKNOWN_BOOTH_TTL_S, UNREADABLE_BOOTH_RETRY_S, DatabaseHealth, Lookups
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.storage.booths import BoothRecord
from tests.support import make_settings


def record(booth_id: str) -> BoothRecord:
    return BoothRecord(
        booth_id, "setouchi", "p1", "汐見郵便局", f"ブース {booth_id}", "", datetime(2026, 1, 1, tzinfo=UTC), None
    )


class Directory:
    """Booths in memory; every query is noted (``get`` one id, ``many`` several)."""

    def __init__(self, known: Collection[str]) -> None:
        self.known = set(known)
        self.queries: list[tuple[str, frozenset[str]]] = []
        self.failing = False

    async def get(self, booth_id: str) -> BoothRecord | None:
        self.queries.append(("get", frozenset({booth_id})))
        return record(booth_id) if booth_id in self.known else None

    async def many(self, booth_ids: Collection[str]) -> dict[str, BoothRecord]:
        self.queries.append(("many", frozenset(booth_ids)))
        if self.failing:
            raise TimeoutError("the database did not answer")
        return {b: record(b) for b in booth_ids if b in self.known}


class Nothing:
    async def get(self, _id: str) -> None:
        return None

    async def chat(self, _id: str) -> list[Any]:
        return []


def lookups(directory: Directory, tmp_path: Path) -> Lookups:
    return Lookups(
        records=Nothing(),  # type: ignore[arg-type]
        chat_log=Nothing(),  # type: ignore[arg-type]
        booths=directory,
        turn=TurnIssuer(make_settings(tmp_path)),
        health=DatabaseHealth(),
    )


async def test_the_booths_of_cases_not_seen_yet_are_read_in_one_query_then_cached(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0, available=False)
    for n in range(4):
        desk.request(f"b{n}", now=float(n))  # the desk's booth cases are at the booth of their own id
    desk.request("gone", now=4.0)  # a booth the database does not know
    directory = Directory({f"b{n}" for n in range(4)})
    look = lookups(directory, tmp_path)
    facts = await look.facts(desk.counter, now=10.0)
    assert directory.queries == [("many", frozenset({"b0", "b1", "b2", "b3", "gone"}))]
    assert facts.booths["b2"].name == "ブース b2" and facts.booths["b2"].place == "汐見郵便局"
    assert "gone" not in facts.booths
    await look.facts(desk.counter, now=11.0)
    assert len(directory.queries) == 1  # every name cached, the unknown id not asked again
    desk.request("b9", now=12.0)
    directory.known.add("b9")
    facts = await look.facts(desk.counter, now=12.0)
    assert directory.queries[1:] == [("many", frozenset({"b9"}))]  # only the new one
    await look.facts(desk.counter, now=12.0 + UNKNOWN_BOOTH_TTL_S)
    assert directory.queries[2:] == [("many", frozenset({"gone"}))]  # asked again after a while


async def test_a_failed_read_leaves_names_out_and_is_tried_again_a_little_later(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0, available=False)
    desk.request("b0", now=0.0)
    directory = Directory({"b0"})
    directory.failing = True
    look = lookups(directory, tmp_path)
    assert "b0" not in (await look.facts(desk.counter, now=1.0)).booths
    await look.facts(desk.counter, now=2.0)
    assert len(directory.queries) == 1  # not on every view while it fails
    directory.failing = False
    facts = await look.facts(desk.counter, now=1.0 + UNREADABLE_BOOTH_RETRY_S)
    assert facts.booths["b0"].name == "ブース b0" and len(directory.queries) == 2
