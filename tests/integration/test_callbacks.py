"""No one can answer, on the real server: the booth is told why at once, leaves a number, and staff see it as
work of its own (``/api/callbacks``) until they mark it done, which deletes the number."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from tests.support import LiveServer, agent_peer, answered_booth_call, booth_peer, login_cookie, ok, resident_peer

PASSWORD = "correct horse battery"


async def api(live_server: LiveServer, method: str, path: str, cookie: str, csrf: str = "") -> tuple[int, Any]:
    headers = {"Cookie": f"madoguchi_session={cookie}"}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    async with aiohttp.ClientSession() as http, http.request(method, live_server.base_url + path, headers=headers) as r:
        return r.status, await r.json()


async def console_csrf(live_server: LiveServer, cookie: str) -> str:
    headers = {"Cookie": f"madoguchi_session={cookie}"}
    async with aiohttp.ClientSession() as http, http.get(f"{live_server.base_url}/console", headers=headers) as r:
        page = await r.text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the console page carries the session's CSRF token"
    return found.group(1)


async def test_nobody_on_duty_is_said_at_once_and_a_callback_reaches_the_office(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    position = await booth.wait_for("queue.position")
    assert position["no_answer"] in ("nobody", "closed"), position  # closed outside the sample town's hours
    assert position["no_answer_after_s"] == live_server.settings.no_answer_wait_s

    refused = await booth.call("callback.request", {"consultation_id": cid, "phone": "12345"})
    assert refused["error"]["code"] == "invalid_payload"
    assert "10 or 11 digits" in refused["error"]["message"]

    ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "０９０-１２３４-５６７８"}))
    closed = await booth.wait_for("consultation.closed")
    assert closed == {"consultation_id": cid, "reason": "callback"}
    again = await booth.call("callback.request", {"consultation_id": cid, "phone": "09012345678"})
    assert again["error"]["code"] in ("not_found", "invalid_state")

    await live_server.add_agent("aoki", PASSWORD)
    cookie = await login_cookie(live_server.base_url, "aoki", PASSWORD)
    status, body = await api(live_server, "GET", "/api/callbacks", cookie)
    assert status == 200, body
    [item] = body["callbacks"]
    assert item["phone"] == "09012345678" and item["consultation_id"] == cid and item["route"] == "tax"
    assert item["channel"] == "booth" and item["booth_name"]

    status, body = await api(live_server, "POST", f"/api/callbacks/{item['id']}/done", cookie)
    assert status == 403 and body["error"]["code"] == "csrf", "marking done needs the page's CSRF token"
    csrf = await console_csrf(live_server, cookie)
    status, body = await api(live_server, "POST", f"/api/callbacks/{item['id']}/done", cookie, csrf)
    assert status == 200 and body["ok"] is True
    status, body = await api(live_server, "GET", "/api/callbacks", cookie)
    assert body["callbacks"] == []
    status, body = await api(live_server, "POST", f"/api/callbacks/{item['id']}/done", cookie, csrf)
    assert status == 404 and body["error"]["code"] == "not_found"
    [record] = [r for r in await live_server.export_records() if r["consultation_id"] == cid]
    assert record["end_reason"] == "callback", "recorded like a consultation"
    await booth.close()


async def test_the_number_is_deleted_when_the_callback_is_done(live_server: LiveServer) -> None:
    from madoguchi import keys

    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    await booth.wait_for("queue.position")
    ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "0997001234"}))
    callbacks = live_server.app[keys.CALLBACKS]
    [pending] = await callbacks.pending(["shiomi"])
    assert pending.phone == "0997001234"
    await live_server.add_agent("aoki", PASSWORD)
    cookie = await login_cookie(live_server.base_url, "aoki", PASSWORD)
    csrf = await console_csrf(live_server, cookie)
    status, _ = await api(live_server, "POST", f"/api/callbacks/{pending.id}/done", cookie, csrf)
    assert status == 200
    done = await callbacks.get(pending.id)
    assert done is not None and done.phone is None and done.done_at is not None and done.done_by
    await booth.close()


async def test_someone_on_duty_means_no_panel_and_no_callback_from_a_call(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, agent)
    positions = booth.received["queue.position"]
    assert positions and all(p["no_answer"] is None for p in positions), positions
    refused = await booth.call("callback.request", {"consultation_id": cid, "phone": "09012345678"})
    assert refused["error"]["code"] == "invalid_state"
    for peer in (booth, agent):
        await peer.close()


async def test_the_chat_page_gets_the_reason_and_can_leave_a_number(live_server: LiveServer) -> None:
    resident = await resident_peer(live_server)
    said = ok(await resident.call("chat.send", {"text": "人と話したい", "client_id": "c1", "language": "ja"}))
    cid = said["consultation_id"]
    if "position" not in said:
        ok(await resident.call("handoff.request", {"consultation_id": cid}))
    position = await resident.wait_for("queue.position")
    assert position["no_answer"] in ("nobody", "closed")
    ok(await resident.call("callback.request", {"consultation_id": cid, "phone": "+81 90 1234 5678"}))
    closed = await resident.wait_for("consultation.closed")
    assert closed["reason"] == "callback"
    await resident.close()
