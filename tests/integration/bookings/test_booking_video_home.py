"""A booked video call from home over the real /resident socket: at its time the resident starts it with the
code, waits ahead of walk-ins, and the agent's accept starts a call with media on both sides. The server's clock
starts Monday 7 December 2026, 07:50 JST; the booking is for 9:00 (video from home: slots from 9:00)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from madoguchi import keys
from madoguchi.bookings.plan import JST
from tests.bookings_support import Api, running
from tests.support import LiveServer, agent_peer, booth_peer, ok, resident_peer

START = datetime(2026, 12, 7, 7, 50, tzinfo=JST).timestamp()


def live(api: Api) -> LiveServer:
    return LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])


async def test_a_booked_video_call_from_home_goes_first_and_starts_with_media(tmp_path: Path) -> None:
    async with running(tmp_path, start=START, session_ttl_s=365 * 86400) as api:
        status, video = await api.book(place="home", start="2026-12-07T09:00:00+09:00")
        assert status == 201 and video["mode"] == "video", video
        status, counter = await api.book(place="honcho", start="2026-12-07T09:00:00+09:00")
        assert status == 201
        api.clock.offset += 3600  # 8:50: inside the check-in window
        server = live(api)
        _, walk_in_token, _ = await server.add_booth("汐見郵便局ブース")
        await server.add_agent("tanaka", "correct horse battery")
        walk_in = await booth_peer(server, walk_in_token)
        home = await resident_peer(server)
        agent = await agent_peer(server, "tanaka", "correct horse battery")
        try:
            ok(await walk_in.call("consultation.request", {"route": "tax"}))
            wrong = await home.call("booking.start", {"booking": counter["code"]})
            assert wrong["error"]["code"] == "wrong_way"  # a counter booking: come to the counter
            _, still = await api.call("GET", f"/api/bookings/{counter['code']}")
            assert still["status"] == "booked"  # refused before it was checked in
            unknown = await home.call("booking.start", {"booking": "12345678"})
            assert unknown["error"]["code"] == "unknown_code"

            ack = ok(await home.call("booking.start", {"booking": video["code"], "language": "ja"}))
            assert ack["booking"] == {"route": "tax", "priority": True, "outcome": "priority"}
            assert ack["position"] == 1  # ahead of the walk-in who asked first
            assert ack["consultation"]["state"] == "waiting" and ack["consultation"]["channel"] == "chat"

            ok(await agent.call("agent.status", {"status": "available"}))
            offer = await agent.wait_for("offer")
            assert (offer["consultation_id"], offer["booking"]) == (ack["consultation_id"], video["code"])
            ok(await agent.call("offer.accept", {"consultation_id": ack["consultation_id"]}))
            resident_call = await home.wait_for("call.start")
            agent_call = await agent.wait_for("call.start")
            assert resident_call["media"] is True and resident_call["polite"] is True
            assert agent_call["media"] is True and agent_call["polite"] is False
            # the signalling goes through between the phone and the console
            ok(await agent.call("signal", {"consultation_id": ack["consultation_id"], "media_state": {"muted": True}}))
            relayed = await home.wait_for("signal")
            assert relayed["media_state"] == {"muted": True}

            again = await home.call("booking.start", {"booking": video["code"]})
            assert again["error"]["code"] == "not_changeable"
        finally:
            for peer in (walk_in, home, agent):
                await peer.close()
        _, stored = await api.call("GET", f"/api/bookings/{video['code']}")
        assert stored["status"] == "checked_in"


async def test_a_refused_start_from_home_leaves_the_video_booking_booked(tmp_path: Path) -> None:
    """The resident already has a chat open: booking.start is refused (limit_reached) and the booking stays
    ``booked``; once the chat is closed the same code starts the call."""
    async with running(tmp_path, start=START, session_ttl_s=365 * 86400) as api:
        status, video = await api.book(place="home", start="2026-12-07T09:00:00+09:00")
        assert status == 201, video
        api.clock.offset += 3600  # 8:50: inside the check-in window
        home = await resident_peer(live(api))
        try:
            chat = ok(await home.call("chat.send", {"text": "住民票の写しがほしいです", "client_id": "r-1"}))
            refused = await home.call("booking.start", {"booking": video["code"]})
            assert refused["error"]["code"] == "limit_reached", refused
            _, stored = await api.call("GET", f"/api/bookings/{video['code']}")
            assert stored["status"] == "booked"  # the refused start did not use the booking up

            ok(await home.call("consultation.cancel", {"consultation_id": chat["consultation_id"]}))
            ack = ok(await home.call("booking.start", {"booking": video["code"]}))
            assert ack["booking"]["outcome"] == "priority"
        finally:
            await home.close()
        _, stored = await api.call("GET", f"/api/bookings/{video['code']}")
        assert stored["status"] == "checked_in"
