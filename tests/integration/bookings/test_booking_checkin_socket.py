"""Check-in at the booth over the real /booth socket: a booked resident who arrives within the window is offered
to the agent before a walk-in who asked earlier, and the offer says it is a booking."""

from __future__ import annotations

import asyncio
from datetime import datetime, time
from pathlib import Path

from madoguchi import keys
from madoguchi.booking_desk.api import DESK
from madoguchi.bookings.plan import JST
from madoguchi.bookings.slots import day_slots
from madoguchi.storage.bookings import Bookings, NewBooking
from tests.bookings_support import Api, running
from tests.support import LiveServer, agent_peer, booth_peer, ok

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=JST)
TEN_TO_NINE = datetime(2026, 12, 7, 8, 50, tzinfo=JST).timestamp()


async def booked_at_nine(api: Api, route: str = "tax", place: str = "shiomi-post-office", language: str = "ja") -> str:
    town = api.app[keys.TRIAGES]["shiomi"].engine.kb.municipality
    assert town.booking is not None
    [slot] = [s for s in day_slots(town.booking, route, NINE.date(), place=place) if s.start.time() == time(9)]
    record = await Bookings(api.app[keys.DATABASE]).book(
        NewBooking("shiomi", route, slot, "ヤマダ ハナコ", language=language),
        now=datetime.fromtimestamp(api.clock(), JST),
    )
    return record.code


def live(api: Api) -> LiveServer:
    return LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])


async def test_a_checked_in_booking_is_offered_before_an_earlier_walk_in(tmp_path: Path) -> None:
    # staff sessions are stamped with the wall clock: a long TTL keeps them valid on the server's shifted clock
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax", language="vi")  # booked in Vietnamese
        server = live(api)
        _, walk_in_token, _ = await server.add_booth("汐見郵便局ブース")
        _, booked_token, _ = await server.add_booth("凪島公民館ブース")
        await server.add_agent("tanaka", "correct horse battery", languages=("ja", "en", "vi"))
        walk_in = await booth_peer(server, walk_in_token)
        booked = await booth_peer(server, booked_token)
        agent = await agent_peer(server, "tanaka", "correct horse battery")
        try:
            first = ok(await walk_in.call("consultation.request", {"route": "tax"}))
            # the kiosk still shows Japanese (its default): the booking's language goes to the agent (ux7 item 5)
            second = ok(await booked.call("consultation.request", {"booking": code, "language": "ja"}))
            said = {k: v for k, v in second["booking"].items() if k not in ("start", "priority_from")}  # ux16 H2
            assert said == {"route": "tax", "priority": True, "outcome": "priority", "language": "vi"}
            assert second["booking"]["priority_from"] <= second["booking"]["start"]  # when it goes ahead, then its time
            assert second["position"] == 1  # ahead of the walk-in who asked first

            ok(await agent.call("agent.status", {"status": "available"}))
            offer = await agent.wait_for("offer")
            assert offer["consultation_id"] == second["consultation_id"] != first["consultation_id"]
            assert offer["booking"] == code and offer["route"] == "tax"
            assert offer["language"] == "vi", offer

            again = await booked.call("consultation.request", {"booking": code})
            assert again["error"]["code"] == "not_changeable"
            wrong = await walk_in.call("consultation.request", {"booking": "12345678"})
            assert wrong["error"]["code"] == "unknown_code"
            neither = await walk_in.call("consultation.request", {"language": "ja"})
            assert "error" in neither
        finally:
            for peer in (walk_in, booked, agent):
                await peer.close()
        _, stored = await api.call("GET", f"/api/bookings/{code}")
        assert stored["status"] == "checked_in"


async def test_too_late_joins_as_a_walk_in_and_is_told(tmp_path: Path) -> None:
    late = datetime(2026, 12, 7, 9, 15, tzinfo=JST).timestamp()
    async with running(tmp_path, start=TEN_TO_NINE) as api:
        code = await booked_at_nine(api, language="vi")
        api.clock.offset += late - TEN_TO_NINE  # the resident arrives at 9:15, five minutes past the window
        server = live(api)
        _, token, _ = await server.add_booth()
        booth = await booth_peer(server, token)
        try:
            # booked in Vietnamese, but the resident picked Japanese on the kiosk: their choice wins
            request = {"booking": code, "language": "ja", "language_chosen": True}
            ack = ok(await booth.call("consultation.request", request))
            said = {k: v for k, v in ack["booking"].items() if k not in ("start", "priority_from")}  # ux16 H2
            assert said == {"route": "tax", "priority": False, "outcome": "late", "language": "ja"}
        finally:
            await booth.close()


async def test_a_booking_due_soon_lengthens_a_walk_ins_estimate_until_it_checks_in(tmp_path: Path) -> None:
    twenty_past_eight = datetime(2026, 12, 7, 8, 20, tzinfo=JST).timestamp()
    async with running(tmp_path, start=twenty_past_eight, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")  # 40 minutes away: beyond the 30-minute horizon
        server = live(api)
        handle = api.app[keys.SETTINGS].default_handle_time_s
        _, busy_token, _ = await server.add_booth("汐見郵便局ブース")
        _, walk_in_token, _ = await server.add_booth("凪島公民館ブース")
        _, booked_token, _ = await server.add_booth("汐見支所ブース")
        await server.add_agent("tanaka", "correct horse battery")
        busy = await booth_peer(server, busy_token)
        walk_in = await booth_peer(server, walk_in_token)
        agent = await agent_peer(server, "tanaka", "correct horse battery")
        try:
            ok(await agent.call("agent.status", {"status": "available"}))
            first = ok(await busy.call("consultation.request", {"route": "tax"}))
            await agent.wait_for("offer")
            ok(await agent.call("offer.accept", {"consultation_id": first["consultation_id"]}))
            ack = ok(await walk_in.call("consultation.request", {"route": "tax"}))
            assert ack["wait_estimate_s"] == handle  # the one agent finishes the call in progress first
            desk = api.app[DESK]
            await desk.sweep()
            assert await desk.due("shiomi") == {}

            api.clock.offset += 600  # 8:30: the booking starts within the horizon
            await desk.sweep()
            told = await walk_in.wait_for("queue.position", lambda m: m["wait_estimate_s"] == 2 * handle)
            assert told["position"] == 1  # still first in line; the booked resident will go ahead of them

            booked = await booth_peer(server, booked_token)  # the booked resident checks in (at 8:30: early)
            try:
                checked = ok(await booked.call("consultation.request", {"booking": code}))
                assert checked["booking"]["outcome"] == "early"  # joins as a walk-in: no longer counted ahead
            finally:
                await booked.close()
            await walk_in.wait_for("queue.position", lambda m: m["wait_estimate_s"] == handle, within=5.0)
        finally:
            for peer in (busy, walk_in, agent):
                await peer.close()


async def test_the_report_counts_no_shows_and_the_wait_of_booked_against_walk_in(tmp_path: Path) -> None:
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")
        missed = await booked_at_nine(api, route="resident_records", place="honcho")  # never comes: a no-show
        server = live(api)
        _, walk_in_token, _ = await server.add_booth("汐見郵便局ブース")
        _, booked_token, _ = await server.add_booth("凪島公民館ブース")
        await server.add_agent("tanaka", "correct horse battery")
        walk_in = await booth_peer(server, walk_in_token)
        booked = await booth_peer(server, booked_token)
        agent = await agent_peer(server, "tanaka", "correct horse battery")
        try:
            first = ok(await booked.call("consultation.request", {"booking": code}))
            second = ok(await walk_in.call("consultation.request", {"route": "tax"}))
            ok(await agent.call("agent.status", {"status": "available"}))
            for case in (first, second):
                await agent.wait_for("offer", lambda m, cid=case["consultation_id"]: m["consultation_id"] == cid)
                ok(await agent.call("offer.accept", {"consultation_id": case["consultation_id"]}))
                ok(await agent.call("consultation.end", {"consultation_id": case["consultation_id"]}))
                wrap = {"consultation_id": case["consultation_id"], "disposition": "resolved", "note": ""}
                ok(await agent.call("wrapup.submit", wrap))
        finally:
            for peer in (walk_in, booked, agent):
                await peer.close()
        api.clock.offset += 3600  # 9:50: the other booking is long past its grace
        desk = api.app[DESK]
        await desk.sweep()
        report = await desk.report("shiomi", NINE.date(), NINE.date())
        for _ in range(50):  # the records reach the database through the outbox
            if report.answered_booked + report.answered_walk_in == 2:
                break
            await asyncio.sleep(0.1)
            report = await desk.report("shiomi", NINE.date(), NINE.date())
        assert report.bookings == 2 and report.by_status == {"checked_in": 1, "no_show": 1}
        assert report.no_show_rate == 0.5
        assert (report.answered_booked, report.answered_walk_in) == (1, 1)
        assert report.wait_median_booked_s is not None and report.wait_median_walk_in_s is not None
        # the booked resident was answered first, though the walk-in asked later: their wait is the shorter
        assert report.wait_median_booked_s <= report.wait_median_walk_in_s
        _, stored = await api.call("GET", f"/api/bookings/{missed}")
        assert stored["status"] == "no_show"


async def test_a_refused_request_leaves_the_booking_booked_for_the_next_try(tmp_path: Path) -> None:
    """The booth already has a case open: the booked request is refused (limit_reached) and must not use the
    booking up — once the first case is cancelled the same code opens its case."""
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")
        server = live(api)
        _, token, _ = await server.add_booth()
        booth = await booth_peer(server, token)
        try:
            first = ok(await booth.call("consultation.request", {"route": "tax"}))
            refused = await booth.call("consultation.request", {"booking": code})
            assert refused["error"]["code"] == "limit_reached", refused
            _, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["status"] == "booked"  # the refused open did not use the booking up

            ok(await booth.call("consultation.cancel", {"consultation_id": first["consultation_id"]}))
            again = ok(await booth.call("consultation.request", {"booking": code}))
            assert again["booking"]["outcome"] == "priority"
        finally:
            await booth.close()
        _, stored = await api.call("GET", f"/api/bookings/{code}")
        assert stored["status"] == "checked_in"


async def status_becomes(api: Api, code: str, wanted: str, within: float = 5.0) -> str:
    """The booking's status once it is ``wanted`` (the case's record is written behind the live counter), or as it
    stands after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        stored = await Bookings(api.app[keys.DATABASE]).get(code)
        assert stored is not None
        if stored.status == wanted or loop.time() > deadline:
            return stored.status
        await asyncio.sleep(0.05)


async def test_a_wait_given_up_before_anyone_answered_gives_the_booking_back(tmp_path: Path) -> None:
    """UX14 #1: a booked resident who pressed やめる by mistake was locked out (「もう 受付が 済んで います」)."""
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")
        server = live(api)
        _, token, _ = await server.add_booth("汐見郵便局ブース")
        await server.add_agent("tanaka", "correct horse battery")
        booth = await booth_peer(server, token)
        agent = await agent_peer(server, "tanaka", "correct horse battery")
        try:
            first = ok(await booth.call("consultation.request", {"booking": code}))
            ok(await booth.call("consultation.cancel", {"consultation_id": first["consultation_id"]}))
            assert await status_becomes(api, code, "booked") == "booked"
            # the same code again, within its window: ahead of walk-ins as before
            second = ok(await booth.call("consultation.request", {"booking": code}))
            assert second["booking"]["priority"] is True
            assert await status_becomes(api, code, "checked_in") == "checked_in"

            # answered this time: the booking was used, and giving up the call later does not give it back
            ok(await agent.call("agent.status", {"status": "available"}))
            offer = await agent.wait_for("offer")
            assert offer["consultation_id"] == second["consultation_id"]
            ok(await agent.call("offer.accept", {"consultation_id": second["consultation_id"]}))
            ok(await booth.call("consultation.end", {"consultation_id": second["consultation_id"]}))
            await agent.wait_for("call.end")
            assert await status_becomes(api, code, "booked", within=1.0) == "checked_in"
            again = await booth.call("consultation.request", {"booking": code})
            assert again["error"]["code"] == "not_changeable"
        finally:
            await booth.close()
            await agent.close()


async def test_a_refused_resume_leaves_the_booking_booked(tmp_path: Path) -> None:
    """Session 15 review: the booking was checked in before the ``resume`` was refused, outside the undo, so
    ``{booking, resume: <not a lost case>}`` left the booking checked in with no case. Refused first now."""
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")
        server = live(api)
        _, token, _ = await server.add_booth()
        booth = await booth_peer(server, token)
        try:
            refused = await booth.call("consultation.request", {"booking": code, "resume": "c_" + "0" * 32})
            assert refused["error"]["code"] == "not_resumable", refused
            _, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["status"] == "booked"
            again = ok(await booth.call("consultation.request", {"booking": code}))
            assert again["booking"]["outcome"] == "priority"
        finally:
            await booth.close()
