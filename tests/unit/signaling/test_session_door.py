"""The places of Engine.IO sessions in no namespace (``session_door``), with the time passed in."""

from __future__ import annotations

from madoguchi.signaling.session_door import LOG_EVERY_S, DoorLimits, PerAddressLog, SessionDoor


def door(per_address: int = 2, total: int = 3, within: float = 10.0) -> SessionDoor:
    return SessionDoor(DoorLimits(per_address=per_address, total=total, join_within_s=within))


def test_places_per_address_and_in_all() -> None:
    d = door()
    assert [d.reserve("a"), d.reserve("a"), d.reserve("a")] == [None, None, "address"]
    assert d.reserve("b") is None
    assert d.reserve("c") == "total"
    d.release("a")
    assert d.reserve("c") is None and d.total == 3


def test_joining_or_closing_frees_the_place_once() -> None:
    d = door()
    assert d.reserve("a") is None
    d.bind("s1", "a", now=0.0)
    assert d.is_pending("s1") and d.held("a") == 1
    d.settle("s1")
    d.settle("s1")  # closing after joining: nothing more to free
    assert d.held("a") == 0 and d.total == 0


def test_overdue_after_the_join_time_only() -> None:
    d = door(within=10.0)
    d.reserve("a")
    d.bind("s1", "a", now=100.0)
    assert d.overdue(109.9) == []
    assert d.overdue(110.0) == [("s1", "a")]


def test_leaving_the_last_namespace_takes_a_place_again_or_is_refused() -> None:
    d = door(per_address=1)
    d.reserve("a")
    d.bind("s1", "a", now=0.0)
    d.settle("s1")  # joined
    assert d.pend("s2", "a", now=1.0) is None  # another one left its namespace: pending again
    assert d.pend("s2", "a", now=2.0) is None and d.held("a") == 1  # asked twice: one place
    assert d.pend("s3", "a", now=2.0) == "address"
    assert d.overdue(11.0) == [("s2", "a")]


def test_one_line_per_address_per_minute() -> None:
    log = PerAddressLog()
    assert log.note("a", 0.0) == 0
    assert [log.note("a", t) for t in (1.0, 2.0, 59.0)] == [None, None, None]
    assert log.note("b", 3.0) == 0
    assert log.note("a", LOG_EVERY_S) == 3  # the next line says how many were left out
    assert log.note("a", LOG_EVERY_S + 1) is None
