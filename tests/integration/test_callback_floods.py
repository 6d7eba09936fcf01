"""Call-back requests on the real server cannot be flooded (outside attack, trust14 item 2): one booth, one chat
session and one client address leave at most ``MADOGUCHI_CALLBACKS_PER_SOURCE_PER_HOUR`` an hour, one number is
left at most ``MADOGUCHI_CALLBACKS_PER_NUMBER_PER_DAY`` times a day, and a number already waiting is merged into
its request (staff call it once; the resident is told it was already in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.test_callbacks import api
from tests.support import LiveServer, Peer, booth_peer, login_cookie, ok, resident_peer, serve_topology

PASSWORD = "correct horse battery"


async def staff_list(server: LiveServer) -> list[dict[str, Any]]:
    await server.add_agent("aoki", PASSWORD)
    cookie = await login_cookie(server.base_url, "aoki", PASSWORD)
    status, body = await api(server, "GET", "/api/callbacks", cookie)
    assert status == 200, body
    return list(body["callbacks"])


async def booth_asks(booth: Peer, phone: str) -> dict[str, Any]:
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    answer: dict[str, Any] = await booth.call("callback.request", {"consultation_id": cid, "phone": phone})
    if "error" in answer:
        ok(await booth.call("consultation.cancel", {"consultation_id": cid}))
    return answer


async def chat_asks(resident: Peer, phone: str) -> dict[str, Any]:
    said = ok(await resident.call("chat.send", {"text": "人と話したい", "client_id": "c1", "language": "ja"}))
    cid = said["consultation_id"]
    if "position" not in said:
        ok(await resident.call("handoff.request", {"consultation_id": cid}))
    answer: dict[str, Any] = await resident.call("callback.request", {"consultation_id": cid, "phone": phone})
    return answer


async def test_a_booth_leaves_at_most_its_hours_worth_of_numbers(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, callbacks_per_source_per_hour=3) as server:
        _, token, _ = await server.add_booth()
        booth = await booth_peer(server, token)
        try:
            for n in range(3):
                ok(await booth_asks(booth, f"0901234567{n}"))
            refused = await booth_asks(booth, "09012345679")
            assert refused["error"]["code"] == "rate_limited", refused
            assert "call-back" in refused["error"]["message"]
        finally:
            await booth.close()
        assert sorted(item["phone"] for item in await staff_list(server)) == [f"0901234567{n}" for n in range(3)]


async def test_anonymous_chats_from_one_address_leave_at_most_its_hours_worth(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, callbacks_per_source_per_hour=2) as server:
        residents = [await resident_peer(server) for _ in range(3)]  # three chat sessions, one address
        try:
            ok(await chat_asks(residents[0], "09011110000"))
            ok(await chat_asks(residents[1], "09011110001"))
            refused = await chat_asks(residents[2], "09011110002")
            assert refused["error"]["code"] == "rate_limited", refused
        finally:
            for resident in residents:
                await resident.close()
        assert len(await staff_list(server)) == 2


async def test_a_number_already_waiting_is_merged_and_a_number_is_left_only_so_often(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, callbacks_per_number_per_day=2) as server:
        booths = []
        for name in ("汐見郵便局ブース", "凪島公民館ブース", "汐見支所ブース"):
            _, token, _ = await server.add_booth(name)
            booths.append(await booth_peer(server, token))
        home = await resident_peer(server)
        try:
            first = ok(await booth_asks(booths[0], "090-5555-1234"))["callback"]
            assert "already" not in first
            merged = ok(await chat_asks(home, "09055551234"))["callback"]  # the same number, from home
            assert merged["already"] is True
            assert merged["requested_at"] == first["requested_at"]  # the first request's time: it is that one
            assert merged["phone_end"] == "1234"
            refused = await booth_asks(booths[2], "09055551234")  # a third time in a day: refused
            assert refused["error"]["code"] == "rate_limited", refused
            ok(await booth_asks(booths[2], "09055550000"))  # another number from that booth still goes through
        finally:
            for peer in (*booths, home):
                await peer.close()
        listed = await staff_list(server)
        assert sorted(item["phone"] for item in listed) == ["09055550000", "09055551234"]  # staff call each once
