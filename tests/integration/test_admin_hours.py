"""Opening hours on /admin, on the real server: the file's hours are the default, an admin's change is stored,
audited and CSRF-checked, other towns are out of reach, and the supervisor's booth alarm follows it live."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from madoguchi import keys
from madoguchi.booking_desk.api import DESK
from madoguchi.booking_desk.service import BookingDesk, BookingRequest, DeskError, day_bounds
from madoguchi.bookings.plan import JST
from madoguchi.bookings.slots import Slot, day_slots
from madoguchi.storage import opening_hours
from madoguchi.storage.bookings import Bookings, NewBooking
from madoguchi.storage.opening_hours import OpeningHoursStore
from tests.integration.test_admin_web import PASSWORD, audit_actions, signed_in, two_towns
from tests.integration.test_supervisor import supervisor_peer
from tests.support import LiveServer, agent_peer, booth_peer, ok, on_both_topologies

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def a_bookable_tuesday(live_server: LiveServer) -> tuple[date, Slot]:
    """A Tuesday two weeks or more ahead (open, bookable) and its first tax slot at the post office."""
    town = live_server.app[keys.TRIAGES]["shiomi"].engine.kb.municipality
    assert town.booking is not None
    day = datetime.now(JST).date() + timedelta(days=14)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day, next(s for s in day_slots(town.booking, "tax", day, place="shiomi-post-office"))


def week(text: str) -> dict[str, str]:
    return dict.fromkeys(ALL_DAYS, text)


def town_hours(state: dict[str, Any], town: str) -> dict[str, Any]:
    (found,) = [h for h in state["hours"] if h["municipality_id"] == town]
    return found


async def test_hours_are_stored_audited_and_scoped(live_server: LiveServer) -> None:
    await two_towns(live_server)
    async with signed_in(live_server, "admin-a") as admin:
        status, state = await admin.get("/api/admin/state")
        assert status == 200
        assert [h["municipality_id"] for h in state["hours"]] == ["shiomi"]  # only their own town
        shiomi = town_hours(state, "shiomi")
        assert shiomi["source"] == "file"  # the sample municipality.yaml's opening_hours
        assert shiomi["spec"]["weekly"]["mon"] == "08:30-17:15" and shiomi["spec"]["weekly"]["sat"] == "closed"
        assert "12-29..01-03" in shiomi["spec"]["closed_yearly"]
        assert shiomi["spec"]["national_holidays"] is True and shiomi["spec"]["open_holidays"] == []
        assert shiomi["holidays"] and all(set(h) == {"date", "name"} for h in shiomi["holidays"])  # the coming year's

        body = {
            "weekly": {"mon": "8:30-12:00,13:00-17:15", "sat": "09:00-12:00"},
            "closed": ["2027-01-11", "2026-12-28"],
            "closed_yearly": ["12-29..01-03"],
            "open_holidays": ["2027-01-11"],
        }
        status, saved = await admin.post("/api/admin/hours/shiomi", body)
        assert status == 200, saved
        assert saved["hours"]["spec"]["open_holidays"] == ["2027-01-11"]
        assert saved["hours"]["source"] == "stored" and saved["hours"]["updated_by"] == "admin-a さん"
        assert saved["hours"]["spec"]["weekly"]["mon"] == "08:30-12:00,13:00-17:15"
        assert saved["hours"]["spec"]["weekly"]["tue"] == "closed"  # a weekday left out is closed
        assert saved["hours"]["spec"]["closed"] == ["2026-12-28", "2027-01-11"]
        stored = await OpeningHoursStore(live_server.app[keys.DATABASE]).get("shiomi")
        assert stored is not None and stored.spec.weekly["sat"] == "09:00-12:00"

        # mistakes are refused with a sentence, nothing is stored
        for bad, says in [
            ({"weekly": {"mon": "17:00-09:00"}}, "ends before it starts"),
            ({"weekly": {"funday": "09:00-17:00"}}, "unknown weekday"),
            ({"weekly": {}, "closed": ["2026-13-01"]}, "closed"),
            ({"weekly": {}, "closed_yearly": ["12-29/01-03"]}, "yearly span"),
            ({"weekly": {}, "extra": 1}, "extra"),
        ]:
            status, refused = await admin.post("/api/admin/hours/shiomi", bad)
            assert status == 400 and refused["error"]["code"] == "invalid_payload", refused
            assert says in refused["error"]["message"], refused
        # another town answers as if it did not exist; no CSRF token, no change
        status, refused = await admin.post("/api/admin/hours/nagi", {"weekly": week("00:00-24:00")})
        assert status == 404 and refused["error"]["code"] == "not_found"
        status, refused = await admin.post("/api/admin/hours/shiomi", {"weekly": {}}, csrf="wrong")
        assert status == 403 and refused["error"]["code"] == "csrf"
        assert (await OpeningHoursStore(live_server.app[keys.DATABASE]).get("shiomi")).spec.weekly[
            "sat"
        ] == "09:00-12:00"  # type: ignore[union-attr]

        status, back = await admin.post("/api/admin/hours/shiomi/reset", {})
        assert status == 200 and back["reset"] is True and back["hours"]["source"] == "file"
    async with signed_in(live_server, "agent-a") as agent:
        status, _ = await agent.post("/api/admin/hours/shiomi", {"weekly": {}})
        assert status == 403

    actions = [
        (action, detail) for _, action, detail in await audit_actions(live_server) if action.startswith("hours.")
    ]
    assert [a for a, _ in actions] == ["hours.update", "hours.reset"]
    assert actions[0][1]["before"] is None and actions[0][1]["after"]["weekly"]["sat"] == "09:00-12:00"
    assert actions[1][1]["before"]["weekly"]["sat"] == "09:00-12:00" and actions[1][1]["after"] is None


async def test_the_supervisors_booth_alarm_follows_the_stored_hours(live_server: LiveServer) -> None:
    await two_towns(live_server)  # booth_a of shiomi is registered and not connected
    await live_server.add_agent("boss", PASSWORD, role="supervisor", municipality="shiomi")
    boss = await supervisor_peer(live_server, "boss")

    def offline(snapshot: dict[str, Any]) -> bool:
        return snapshot["municipality_id"] == "shiomi" and any(a["kind"] == "booth_offline" for a in snapshot["alerts"])

    def quiet(snapshot: dict[str, Any]) -> bool:
        return snapshot["municipality_id"] == "shiomi" and not any(
            a["kind"] == "booth_offline" for a in snapshot["alerts"]
        )

    async with signed_in(live_server, "admin-a") as admin:
        # each step waits for the opposite of the step before, so the view before a change cannot pass it (only what
        # changed is sent: the view as the page holds it now is what is checked)
        for weekly, shows in [("closed", quiet), ("00:00-24:00", offline), ("closed", quiet)]:
            status, _ = await admin.post("/api/admin/hours/shiomi", {"weekly": week(weekly)})
            assert status == 200
            await boss.wait_view("shiomi", shows, within=4.0)
        state = (await admin.get("/api/admin/state"))[1]
        assert town_hours(state, "shiomi")["open_now"] is False
    await boss.close()


async def test_the_booth_shows_the_hours_an_admin_set_without_a_restart(live_server: LiveServer) -> None:
    """One source of opening hours: what /admin stores is what the booth's "closed now" notice (hours.get) and
    its "no one can answer" panel (queue.position's ``no_answer`` and ``hours``) say, at once."""
    await two_towns(live_server)
    _, token, _ = await live_server.add_booth("汐見ブース", municipality="shiomi")
    booth = await booth_peer(live_server, token)
    try:
        ack = await booth.call("hours.get", {})
        assert ack["ok"] and ack["hours"]["weekly"]["mon"] == "08:30-17:15"  # the file's, before any change
        assert ack["hours"]["weekly"]["sun"] == "closed"
        async with signed_in(live_server, "admin-a") as admin:
            status, _ = await admin.post("/api/admin/hours/shiomi", {"weekly": week("closed")})
            assert status == 200
            ack = await booth.call("hours.get", {})
            assert ack["hours"]["open_now"] is False and set(ack["hours"]["weekly"].values()) == {"closed"}
            waiting = await booth.call("consultation.request", {"route": "tax"})
            assert waiting["ok"], waiting
            first = waiting["consultation_id"]
            shown = await booth.wait_for("queue.position", lambda m: m["consultation_id"] == first)
            assert shown["no_answer"] == "closed" and shown["hours"]["weekly"]["mon"] == "closed"
            assert (await booth.call("consultation.cancel", {"consultation_id": first}))["ok"]

            status, _ = await admin.post("/api/admin/hours/shiomi", {"weekly": week("00:00-24:00")})
            assert status == 200
            ack = await booth.call("hours.get", {})
            assert ack["hours"]["open_now"] is True and ack["hours"]["weekly"]["sat"] == "00:00-24:00"
            waiting = await booth.call("consultation.request", {"route": "tax"})
            second = waiting["consultation_id"]
            shown = await booth.wait_for("queue.position", lambda m: m["consultation_id"] == second)
            assert shown["no_answer"] == "nobody" and shown["hours"]["open_now"] is True  # open, nobody on duty
    finally:
        await booth.close()


async def test_closing_a_day_with_bookings_names_them_first(live_server: LiveServer) -> None:
    """ux7 item 8: closing a day that has bookings is refused until the admin has seen them (409 naming each), and
    confirmed it keeps them and names them again, for the office to call each resident."""
    await two_towns(live_server)
    day, slot = a_bookable_tuesday(live_server)
    booked = await Bookings(live_server.app[keys.DATABASE]).book(
        NewBooking("shiomi", "tax", slot, "ヤマダ ハナコ", language="vi", phone="090-1234-5678"),
        now=datetime.now(UTC),
    )
    async with signed_in(live_server, "admin-a") as admin:
        body = {"weekly": week("08:30-17:15"), "closed": [day.isoformat()]}
        status, refused = await admin.post("/api/admin/hours/shiomi", body)
        assert status == 409 and refused["error"]["code"] == "bookings_on_closed_days", refused
        assert [b["code"] for b in refused["bookings"]] == [booked.code]
        assert refused["bookings"][0]["route"] == "tax"
        # tidy10: the admin told to phone each resident is given the number whole, and the name as booked; the
        # day's list stays masked, and the audit log names the bookings whose contacts were shown, not the numbers
        assert refused["bookings"][0]["phone"] == "090-1234-5678" and refused["bookings"][0]["email"] is None
        assert refused["bookings"][0]["name_kana"] == "ヤマダ ハナコ"
        status, listed = await admin.get(f"/api/staff/bookings?date={day.isoformat()}&municipality=shiomi")
        assert status == 200 and [b["contact"] for b in listed["bookings"]] == ["***5678"], listed
        shown = [d for _, action, d in await audit_actions(live_server) if action == "booking.contacts_shown"]
        assert shown == [{"bookings": [booked.code], "why": "hours", "confirmed": False}], shown  # not made
        assert "5678" not in str(await audit_actions(live_server))
        assert await OpeningHoursStore(live_server.app[keys.DATABASE]).get("shiomi") is None  # nothing stored
        status, saved = await admin.post("/api/admin/hours/shiomi?confirm=1", body)
        assert status == 200, saved
        assert [b["code"] for b in saved["bookings_on_closed_days"]] == [booked.code]
        assert saved["bookings_on_closed_days"][0]["phone"] == "090-1234-5678"
        shown = [d for _, action, d in await audit_actions(live_server) if action == "booking.contacts_shown"]
        assert [d["confirmed"] for d in shown] == [False, True], shown  # the audit says the change was made
        # another day closed: no booking on it, saved at once
        status, saved = await admin.post("/api/admin/hours/shiomi", {**body, "closed": ["2030-01-08"]})
        assert status == 200 and saved["bookings_on_closed_days"] == [], saved


async def test_back_to_the_file_is_checked_against_the_bookings_too(live_server: LiveServer) -> None:
    """The stored hours open Saturdays and a Saturday is booked; going back to the file's weekdays would close
    it: the reset is refused (409 naming it) until confirmed, like any change (the CLI's rule, one function)."""
    await two_towns(live_server)
    saturday = datetime.now(JST).date() + timedelta(days=7)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    start = datetime(saturday.year, saturday.month, saturday.day, 10, tzinfo=JST)
    slot = Slot("honcho-counter", "counter", "honcho", start, start + timedelta(minutes=20), 2)
    async with signed_in(live_server, "admin-a") as admin:
        status, _ = await admin.post("/api/admin/hours/shiomi", {"weekly": {"sat": "09:00-12:00"}})
        assert status == 200
        booked = await Bookings(live_server.app[keys.DATABASE]).book(
            NewBooking("shiomi", "tax", slot, "ヤマダ ハナコ"), now=datetime.now(UTC)
        )
        status, refused = await admin.post("/api/admin/hours/shiomi/reset", {})
        assert status == 409 and refused["error"]["code"] == "bookings_on_closed_days", refused
        assert [b["code"] for b in refused["bookings"]] == [booked.code]
        assert await OpeningHoursStore(live_server.app[keys.DATABASE]).get("shiomi") is not None  # still stored
        status, back = await admin.post("/api/admin/hours/shiomi/reset?confirm=1", {})
        assert status == 200 and back["reset"] is True and back["hours"]["source"] == "file", back
        assert [b["code"] for b in back["bookings_on_closed_days"]] == [booked.code]
        # nothing stored any more: nothing to check, nothing to reset
        status, again = await admin.post("/api/admin/hours/shiomi/reset", {})
        assert status == 200 and again["reset"] is False and again["bookings_on_closed_days"] == []


@on_both_topologies
async def test_a_booking_made_while_the_hours_are_saved_is_named_not_stranded(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check (which bookings the new hours close) and the save were two steps: a booking made between them was
    stranded on a closed day with nobody told. Now the check is made in the save's own transaction: a booking
    still being written when the admin saves is waited for and named (409), and nothing is stored."""
    await two_towns(live_server)
    day, slot = a_bookable_tuesday(live_server)
    db = live_server.app[keys.DATABASE]
    written, release = asyncio.Event(), asyncio.Event()
    insert = Bookings._insert_with_new_code

    async def held_open(self: Bookings, session: Any, values: dict[str, Any]) -> str:
        code = await insert(self, session, values)
        written.set()  # the booking's rows are written, its transaction not committed yet
        await release.wait()
        return code

    async with signed_in(live_server, "admin-a") as admin:  # signed in first (a login writes too)
        monkeypatch.setattr(Bookings, "_insert_with_new_code", held_open)
        booking = asyncio.create_task(
            Bookings(db).book(NewBooking("shiomi", "tax", slot, "ヤマダ ハナコ"), now=datetime.now(UTC))
        )
        await asyncio.wait_for(written.wait(), 10)
        body = {"weekly": week("08:30-17:15"), "closed": [day.isoformat()]}
        saving = asyncio.create_task(admin.post("/api/admin/hours/shiomi", body))
        await asyncio.sleep(1.0)  # the save is under way (before: already checked, finding nothing)
        release.set()
        booked = await booking
        status, refused = await saving
        assert status == 409 and refused["error"]["code"] == "bookings_on_closed_days", refused
        assert [b["code"] for b in refused["bookings"]] == [booked.code]
        assert await OpeningHoursStore(db).get("shiomi") is None  # nothing stored


@on_both_topologies
async def test_a_booking_checked_before_the_hours_change_is_refused_when_it_is_written(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other half of the race: a booking checked against the old hours (read before its own transaction, and
    cached for a few seconds on every process) was inserted after the admin's save that closed its day had
    committed, stranded with nobody told. Now the booking's write transaction locks the town's row, reads the
    stored hours fresh and checks the slot again: refused with the day's own code, nothing stored."""
    await two_towns(live_server)
    day, slot = a_bookable_tuesday(live_server)
    desk = live_server.app[DESK]
    db = live_server.app[keys.DATABASE]
    checked, release = asyncio.Event(), asyncio.Event()
    fit = BookingDesk._fit

    async def held(self: BookingDesk, *args: Any) -> Any:
        checked.set()  # the slot was checked against the hours in force (the old ones), nothing written yet
        await release.wait()
        return await fit(self, *args)

    request = BookingRequest("shiomi", "tax", "shiomi-post-office", slot.start, "ヤマダ ハナコ")
    async with signed_in(live_server, "admin-a") as admin:
        monkeypatch.setattr(BookingDesk, "_fit", held)
        booking = asyncio.create_task(desk.book(request))
        await asyncio.wait_for(checked.wait(), 10)
        body = {"weekly": week("08:30-17:15"), "closed": [day.isoformat()]}
        status, saved = await admin.post("/api/admin/hours/shiomi", body)
        assert status == 200 and saved["bookings_on_closed_days"] == [], saved  # nothing booked on it yet
        release.set()
        with pytest.raises(DeskError) as refused:
            await booking
        assert refused.value.code == "closed_day"
        start, end = day_bounds(day)
        assert await Bookings(db).counts("shiomi", start, end) == {}  # no place taken, no booking stored


@on_both_topologies
async def test_a_booking_written_while_the_hours_are_being_saved_waits_and_meets_the_new_hours(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The booking's second check is not a read that may pass before the admin's save commits: its transaction
    takes the town's row (PostgreSQL ``FOR SHARE`` against the save's ``FOR UPDATE``; SQLite: writers take turns),
    so while a save is under way the booking waits, then reads the hours the save stored, and is refused."""
    await two_towns(live_server)
    day, slot = a_bookable_tuesday(live_server)
    desk = live_server.app[DESK]
    checked, release, locked, commit = asyncio.Event(), asyncio.Event(), asyncio.Event(), asyncio.Event()
    fit = BookingDesk._fit
    closed_in = opening_hours._closed_in

    async def held(self: BookingDesk, *args: Any) -> Any:
        checked.set()
        await release.wait()
        return await fit(self, *args)

    async def save_held_open(*args: Any) -> Any:
        found = await closed_in(*args)
        locked.set()  # the save holds the town's row, not committed yet
        await commit.wait()
        return found

    request = BookingRequest("shiomi", "tax", "shiomi-post-office", slot.start, "ヤマダ ハナコ")
    async with signed_in(live_server, "admin-a") as admin:
        monkeypatch.setattr(BookingDesk, "_fit", held)
        monkeypatch.setattr(opening_hours, "_closed_in", save_held_open)
        booking = asyncio.create_task(desk.book(request))
        await asyncio.wait_for(checked.wait(), 10)  # checked against the old hours
        body = {"weekly": week("08:30-17:15"), "closed": [day.isoformat()]}
        saving = asyncio.create_task(admin.post("/api/admin/hours/shiomi", body))
        await asyncio.wait_for(locked.wait(), 10)
        release.set()
        await asyncio.sleep(0.5)
        assert not booking.done()  # waiting for the save
        commit.set()
        status, saved = await saving
        assert status == 200 and saved["bookings_on_closed_days"] == [], saved
        with pytest.raises(DeskError) as refused:
            await booking
        assert refused.value.code == "closed_day"


async def test_hours_say_whether_staff_of_the_town_are_on_duty(live_server: LiveServer) -> None:
    """UX14 #3: outside the hours the kiosk's idle notice said 「職員が お答えできない」 while an agent was 受付中:
    hours.get now says whether an agent of the booth's town is on duty (``staffed``), and only of its town."""
    await two_towns(live_server)
    _, token, _ = await live_server.add_booth("汐見ブース", municipality="shiomi")
    booth = await booth_peer(live_server, token)
    other = await agent_peer(live_server, "agent-b", PASSWORD)
    mine = await agent_peer(live_server, "agent-a", PASSWORD)
    try:
        async with signed_in(live_server, "admin-a") as admin:
            status, _ = await admin.post("/api/admin/hours/shiomi", {"weekly": week("closed")})
            assert status == 200
        ok(await other.call("agent.status", {"status": "available"}))  # another town's agent: not this booth's
        hours = ok(await booth.call("hours.get", {}))["hours"]
        assert hours["open_now"] is False and hours["staffed"] is False
        ok(await mine.call("agent.status", {"status": "available"}))
        hours = ok(await booth.call("hours.get", {}))["hours"]
        assert hours["open_now"] is False and hours["staffed"] is True
        ok(await mine.call("agent.status", {"status": "away"}))
        assert ok(await booth.call("hours.get", {}))["hours"]["staffed"] is False
    finally:
        for peer in (booth, other, mine):
            await peer.close()
