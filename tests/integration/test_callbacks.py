"""No one can answer, on the real server: the booth is told why at once, leaves a number, and staff see it as
work of its own (``/api/callbacks``) until they mark it done, which deletes the number."""

from __future__ import annotations

import logging
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
    assert closed == {"consultation_id": cid, "reason": "callback", "ask_satisfaction": False}
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


async def test_an_agent_sees_and_marks_done_only_the_callbacks_of_their_routes(live_server: LiveServer) -> None:
    """Outside attack F2: a phone number is shown only to who will call it. An agent of other routes neither sees
    the request nor can mark it done (a 403 in words, audited); a supervisor of the town sees and does it."""
    from sqlalchemy import select

    from madoguchi import keys
    from madoguchi.storage.models import AuditEntry

    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "livelihood_support"}))["consultation_id"]
    await booth.wait_for("queue.position")
    ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "08099998888"}))
    [pending] = await live_server.app[keys.CALLBACKS].pending(["shiomi"])

    await live_server.add_agent("zeimu", PASSWORD, routes=("tax",))
    cookie = await login_cookie(live_server.base_url, "zeimu", PASSWORD)
    status, body = await api(live_server, "GET", "/api/callbacks", cookie)
    assert (status, body) == (200, {"callbacks": []}), "not this agent's route: not shown"
    csrf = await console_csrf(live_server, cookie)
    status, body = await api(live_server, "POST", f"/api/callbacks/{pending.id}/done", cookie, csrf)
    assert (status, body["error"]["code"]) == (403, "forbidden") and body["error"]["message"], body
    kept = await live_server.app[keys.CALLBACKS].get(pending.id)
    assert kept is not None and kept.done_at is None and kept.phone == "08099998888", "nothing deleted"
    async with live_server.app[keys.DATABASE].read() as session:
        actions = [a.action for a in await session.scalars(select(AuditEntry))]
    assert "callback.done_refused" in actions

    await live_server.add_agent("kacho", PASSWORD, role="supervisor", routes=("tax",))
    boss = await login_cookie(live_server.base_url, "kacho", PASSWORD)
    status, body = await api(live_server, "GET", "/api/callbacks", boss)
    assert [item["id"] for item in body["callbacks"]] == [pending.id]
    status, body = await api(
        live_server, "POST", f"/api/callbacks/{pending.id}/done", boss, await console_csrf(live_server, boss)
    )
    assert status == 200 and body["ok"] is True
    await booth.close()


async def test_a_home_callback_stands_after_a_reload_and_the_resident_can_withdraw_it(live_server: LiveServer) -> None:
    """The chat page showed a fresh greeting after a reload, as if no call-back had been asked for: the server says
    it stands (``resident.state``'s ``callback``) until staff make it or the resident withdraws it."""
    resident = await resident_peer(live_server)
    token = (await resident.wait_for("resident.state"))["resume_token"]
    said = ok(await resident.call("chat.send", {"text": "人と話したい", "client_id": "c1", "language": "ne"}))
    cid = said["consultation_id"]
    if "position" not in said:
        ok(await resident.call("handoff.request", {"consultation_id": cid}))
    await resident.wait_for("queue.position")
    asked = ok(await resident.call("callback.request", {"consultation_id": cid, "phone": "090-1234-5678"}))
    assert asked["callback"]["phone_end"] == "5678" and asked["callback"]["id"].startswith("cb_")
    await resident.wait_for("consultation.closed")
    await resident.close()

    again = await resident_peer(live_server, resume=token)
    state = await again.wait_for("resident.state")
    assert state["consultation"] is None
    assert state["callback"]["id"] == asked["callback"]["id"] and state["callback"]["phone_end"] == "5678"
    stranger = await resident_peer(live_server)
    assert (await stranger.wait_for("resident.state"))["callback"] is None
    refused = await stranger.call("callback.withdraw", {"callback_id": asked["callback"]["id"]})
    assert refused["error"]["code"] == "not_found"

    await live_server.add_agent("aoki", PASSWORD, role="supervisor")
    cookie = await login_cookie(live_server.base_url, "aoki", PASSWORD)
    _, listed = await api(live_server, "GET", "/api/callbacks", cookie)
    assert [item["id"] for item in listed["callbacks"]] == [asked["callback"]["id"]]
    console = await agent_peer(live_server, "aoki", PASSWORD)
    await console.wait_for("queue.snapshot")
    seen = len(console.received["queue.snapshot"])
    ok(await again.call("callback.withdraw", {"callback_id": asked["callback"]["id"]}))
    # the console's call-back list looks again at a queue.snapshot ("queue:changed"): at once, not at its 15 s poll
    await console.wait_for("queue.snapshot", lambda _: len(console.received["queue.snapshot"]) > seen, within=3)
    await console.close()
    _, listed = await api(live_server, "GET", "/api/callbacks", cookie)
    assert listed["callbacks"] == [], "withdrawn: off the staff's list, the number gone"
    twice = await again.call("callback.withdraw", {"callback_id": asked["callback"]["id"]})
    assert twice["error"]["code"] == "not_found"
    third = await resident_peer(live_server, resume=token)
    assert (await third.wait_for("resident.state"))["callback"] is None
    for peer in (again, stranger, third):
        await peer.close()


async def test_a_personal_number_left_as_the_callback_number_is_refused_without_its_digits(
    live_server: LiveServer, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    for typed in ("+81 123456789018", "1234 5678 9018", "＋８１１２３４５６７８９０１８"):
        refused = await booth.call("callback.request", {"consultation_id": cid, "phone": typed})
        assert refused["error"]["code"] == "personal_number", refused
        assert not any(ch.isdigit() for ch in refused["error"]["message"])
    assert not any("5678" in r.getMessage() or "９０１８" in r.getMessage() for r in caplog.records)
    ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "+81 90 1234 5678"}))
    await booth.close()


async def test_one_number_left_on_two_routes_is_work_for_each_routes_staff(live_server: LiveServer) -> None:
    """Session 15 review: requests were merged by number before the route filter, so a number left first on a tax
    case hid its child_family request from child_family staff, and a tax agent's "done" closed (and deleted the
    number of) the child_family request too, with only the tax id in the audit. Merged by town, route and number,
    each route's staff see and close their own; the audit names every id a "done" marked."""
    from sqlalchemy import select

    from madoguchi import keys
    from madoguchi.storage.models import AuditEntry, CallbackRequest

    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cids: dict[str, str] = {}
    for name, route in (("tax", "tax"), ("child_family", "child_family"), ("tax_again", "tax")):
        cids[name] = ok(await booth.call("consultation.request", {"route": route}))["consultation_id"]
        await booth.wait_for("queue.position")
        ok(await booth.call("callback.request", {"consultation_id": cids[name], "phone": "09012340000"}))
    await booth.close()
    async with live_server.app[keys.DATABASE].read() as session:
        rows = {r.consultation_id: r.id for r in await session.scalars(select(CallbackRequest))}
    ids = {name: rows[cid] for name, cid in cids.items()}

    await live_server.add_agent("zeimu", PASSWORD, routes=("tax",))
    await live_server.add_agent("kosodate", PASSWORD, routes=("child_family",))
    tax = await login_cookie(live_server.base_url, "zeimu", PASSWORD)
    child = await login_cookie(live_server.base_url, "kosodate", PASSWORD)
    _, body = await api(live_server, "GET", "/api/callbacks", child)
    assert [(i["id"], i["route"]) for i in body["callbacks"]] == [(ids["child_family"], "child_family")], body
    _, body = await api(live_server, "GET", "/api/callbacks", tax)
    assert [i["id"] for i in body["callbacks"]] == [ids["tax"]], "the tax number twice is called once"

    status, body = await api(
        live_server, "POST", f"/api/callbacks/{ids['tax']}/done", tax, await console_csrf(live_server, tax)
    )
    assert status == 200, body
    _, body = await api(live_server, "GET", "/api/callbacks", child)
    assert [i["id"] for i in body["callbacks"]] == [ids["child_family"]], "the other route's request stands"
    kept = await live_server.app[keys.CALLBACKS].get(ids["child_family"])
    assert kept is not None and kept.done_at is None and kept.phone == "09012340000"
    again = await live_server.app[keys.CALLBACKS].get(ids["tax_again"])
    assert again is not None and again.done_at is not None and again.phone is None
    async with live_server.app[keys.DATABASE].read() as session:
        [entry] = [a for a in await session.scalars(select(AuditEntry)) if a.action == "callback.done"]
    assert sorted(entry.detail["callbacks"]) == sorted([ids["tax"], ids["tax_again"]]), entry.detail
