"""A booth's last-seen time goes to the database at most once a minute per booth, and when it leaves (fake clock)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from madoguchi.signaling.booth_sightings import WRITE_EVERY_S, BoothSightings


class Desk:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.held: list[str] = []
        self.writes: list[dict[str, float]] = []
        self.fail = False

    async def write(self, seen: Mapping[str, datetime]) -> None:
        if self.fail:
            raise OSError("database away")
        self.writes.append({b: at.timestamp() for b, at in seen.items()})

    def sightings(self) -> BoothSightings:
        return BoothSightings(held=lambda: self.held, write=self.write, clock=lambda: self.now)


async def test_a_connected_booth_is_written_at_once_then_at_most_once_a_minute() -> None:
    desk = Desk()
    s = desk.sightings()
    desk.held = ["booth:b1", "agent:a1", "resident:r1"]
    await s.look()
    assert desk.writes == [{"b1": 1_000.0}]  # only booths, the first time at once
    for _ in range(11):  # a look every 5 s for 55 s: nothing more
        desk.now += 5
        await s.look()
    assert len(desk.writes) == 1
    desk.now += 5  # a minute after the first write
    await s.look()
    assert desk.writes[-1] == {"b1": 1_000.0 + WRITE_EVERY_S}


async def test_a_booth_that_leaves_is_written_with_its_last_moment_when_its_minute_allows() -> None:
    desk = Desk()
    s = desk.sightings()
    desk.held = ["booth:b1"]
    await s.look()
    desk.now += 20
    await s.look()  # held at 1020, not written (20 s after the last write)
    desk.held = []
    desk.now += 5
    await s.look()
    assert len(desk.writes) == 1  # its minute is not over
    desk.now += 40
    await s.look()
    assert desk.writes[-1] == {"b1": 1_020.0}  # the last moment held, not the moment written
    desk.now += 120
    await s.look()
    assert len(desk.writes) == 2  # nothing new to say


async def test_a_failed_write_is_tried_again_and_shutdown_writes_what_is_left() -> None:
    desk = Desk()
    s = desk.sightings()
    desk.held = ["booth:b1", "booth:b2"]
    desk.fail = True
    await s.look()
    assert desk.writes == []
    desk.fail = False
    desk.now += 5
    await s.look()
    assert desk.writes == [{"b1": 1_005.0, "b2": 1_005.0}]
    desk.now += 10
    desk.held = ["booth:b2"]
    await s.close()
    assert desk.writes[-1] == {"b2": 1_015.0}  # b1 was written at its last moment (1005): nothing newer
