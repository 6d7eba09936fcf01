"""Call-back requests on the real server cannot be flooded (outside attack, trust14 item 2): one booth, one chat
session and one client address leave at most ``MADOGUCHI_CALLBACKS_PER_SOURCE_PER_HOUR`` an hour, one number is
left at most ``MADOGUCHI_CALLBACKS_PER_NUMBER_PER_DAY`` times a day, and a number already waiting is listed to
staff once (they call it once) while whoever typed it is answered as for any number (session 15: the answer said
the number was in the list already, to anyone who typed a neighbour's number)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from madoguchi.storage.errors import DuplicateUsername
from tests.integration.test_callbacks import api, console_csrf
from tests.support import LiveServer, Peer, booth_peer, login_cookie, ok, resident_peer, serve_topology

PASSWORD = "correct horse battery"


async def staff_list(server: LiveServer) -> list[dict[str, Any]]:
    with contextlib.suppress(DuplicateUsername):  # asked a second time
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


async def test_a_number_already_waiting_is_answered_as_any_and_left_only_so_often(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, callbacks_per_number_per_day=2) as server:
        booths = []
        for name in ("汐見郵便局ブース", "凪島公民館ブース", "汐見支所ブース"):
            _, token, _ = await server.add_booth(name)
            booths.append(await booth_peer(server, token))
        home, other = await resident_peer(server), await resident_peer(server)
        try:
            first = ok(await booth_asks(booths[0], "090-5555-1234"))["callback"]
            again = ok(await booth_asks(booths[1], "09055551234"))  # the same number, from another booth
            fresh = ok(await booth_asks(booths[1], "09055557777"))  # a number nobody left before
            assert again.keys() == fresh.keys() and again["callback"].keys() == fresh["callback"].keys() == first.keys()
            assert again["callback"]["requested_at"] > first["requested_at"]  # its own time, not the first's
            refused = await booth_asks(booths[2], "09055551234")  # a third time in a day: refused
            assert refused["error"]["code"] == "rate_limited", refused
            ok(await booth_asks(booths[2], "09055550000"))  # another number from that booth still goes through
            # from home too: the same answer as for a fresh number, and its own request to withdraw
            home_again = ok(await chat_asks(home, "09055550000"))
            home_fresh = ok(await chat_asks(other, "09055558888"))
            assert home_again.keys() == home_fresh.keys()
            assert home_again["callback"].keys() == home_fresh["callback"].keys() == {"id", "requested_at", "phone_end"}
            ok(await home.call("callback.withdraw", {"callback_id": home_again["callback"]["id"]}))
        finally:
            for peer in (*booths, home, other):
                await peer.close()
        listed = await staff_list(server)  # staff call each number once; the booth's 0000 stands after the withdrawal
        assert sorted(item["phone"] for item in listed) == ["09055550000", "09055551234", "09055557777", "09055558888"]
        # marked done once, the number is done for everyone who left it: it does not come back from the second
        cookie = await login_cookie(server.base_url, "aoki", PASSWORD)
        [twice] = [item for item in listed if item["phone"] == "09055551234"]
        status, body = await api(
            server, "POST", f"/api/callbacks/{twice['id']}/done", cookie, await console_csrf(server, cookie)
        )
        assert status == 200, body
        left = sorted(item["phone"] for item in await staff_list(server))
        assert left == ["09055550000", "09055557777", "09055558888"]
