"""The supervisor's live view on the real server: who may watch, how fast a change shows, that one town's people
never appear in another's view, and the steering actions with their audit lines."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from madoguchi import keys
from madoguchi.storage.audit import AuditLog
from tests.support import (
    LiveServer,
    Peer,
    agent_peer,
    booth_peer,
    login_cookie,
    make_settings,
    ok,
    on_both_topologies,
    serve,
)

PASSWORD = "correct horse battery"


def error_code(ack: object) -> str | None:
    return ack["error"]["code"] if isinstance(ack, dict) and "error" in ack else None


async def supervisor_peer(server: LiveServer, username: str) -> Peer:
    cookie = await login_cookie(server.agent_url, username, PASSWORD)
    peer = Peer(server.agent_url, "/supervisor")
    await peer.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    return peer


def has_case(cid: str, **fields: Any) -> Any:
    def check(snapshot: Any) -> bool:
        return any(c["consultation_id"] == cid and c.items() >= fields.items() for c in snapshot["queue"])

    return check


async def test_an_agent_gets_a_plain_403_page_and_a_refused_socket(live_server: LiveServer) -> None:
    await live_server.add_agent("agent1", PASSWORD)
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    cookie = await login_cookie(live_server.agent_url, "agent1", PASSWORD)
    async with (
        aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
        http.get(f"{live_server.agent_url}/supervisor") as resp,
    ):
        assert resp.status == 403
        assert "監督者" in await resp.text()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{live_server.agent_url}/supervisor", allow_redirects=False) as resp,
    ):
        assert resp.status == 302 and resp.headers["Location"].startswith("/login")
    boss = await login_cookie(live_server.agent_url, "boss", PASSWORD)
    async with (
        aiohttp.ClientSession(cookies={"madoguchi_session": boss}) as http,
        http.get(f"{live_server.agent_url}/supervisor") as resp,
    ):
        assert resp.status == 200
        page = await resp.text()
        for testid in ("sv-queue", "sv-agents", "sv-alerts", "sv-booths", "sv-today"):
            assert f'data-testid="{testid}"' in page
        assert '<option value="shiomi">汐見町</option>' in page  # ux6: the town's name, not its code
    peer = Peer(live_server.agent_url, "/supervisor")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    anonymous = Peer(live_server.agent_url, "/supervisor")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await anonymous.connect()


@on_both_topologies
async def test_a_change_shows_within_a_second_and_towns_stay_apart(live_server: LiveServer) -> None:
    _, shiomi_token, _ = await live_server.add_booth("北港ブース", municipality="shiomi")
    _, yamabe_token, _ = await live_server.add_booth("山辺ブース", municipality="yamabe")
    await live_server.add_agent("tax_only", PASSWORD, routes=("tax",))
    await live_server.add_agent("yamabe_agent", PASSWORD, municipality="yamabe", routes=("tax",))
    await live_server.add_agent("yamabe_absent", PASSWORD, municipality="yamabe", routes=("tax",))
    await live_server.add_agent("absent", PASSWORD, routes=("tax",))  # never logs in: 未接続
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    await live_server.app[keys.ACCOUNTS].add_user(
        "joint",
        PASSWORD,
        role="admin",
        municipality_ids=["shiomi", "yamabe"],
        routes=["*"],
        languages=["ja"],
        display_name="joint さん",
    )
    agent = await agent_peer(live_server, "tax_only", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    other_agent = await agent_peer(live_server, "yamabe_agent", PASSWORD)
    boss = await supervisor_peer(live_server, "boss")
    both = await supervisor_peer(live_server, "joint")
    first = await boss.wait_for("supervisor.snapshot")
    assert first["municipality_id"] == "shiomi"
    # the supervisor watching this page is listed too (fix7b), as watching
    assert [a["display_name"] for a in first["agents"] if a["activity"] not in ("watching", "offline")] == [
        "tax_only さん"
    ]
    # the town's staff not on the counter are listed by name as 未接続 (#11); yamabe's are not theirs
    assert [a["display_name"] for a in first["agents"] if a["activity"] == "offline"] == ["absent さん"]
    assert {b["name"] for b in first["booths"]} == {"北港ブース"}
    await both.wait_for("supervisor.snapshot", lambda s: s["municipality_id"] == "yamabe")

    shiomi_booth = await booth_peer(live_server, shiomi_token)
    yamabe_booth = await booth_peer(live_server, yamabe_token)
    started = time.monotonic()
    cid = ok(await shiomi_booth.call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
    seen = await boss.wait_for("supervisor.snapshot", has_case(cid, stranded=True), within=1.0)
    assert time.monotonic() - started < 1.0
    stranded = [(a["key"], a["consultation_id"], a["count"]) for a in seen["alerts"] if a["kind"] == "stranded"]
    assert stranded == [("stranded:transport_ferry:ja", cid, 1)]
    assert seen["today"]["waiting"] == 1
    # today's figures come from the records (written before the snapshot is built)
    await boss.wait_for("supervisor.snapshot", lambda s: s["today"]["received"] == 1, within=3.0)

    theirs = ok(await yamabe_booth.call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
    await both.wait_for("supervisor.snapshot", has_case(theirs), within=1.0)
    await both.wait_for("supervisor.snapshot", has_case(cid), within=1.0)
    # the shiomi supervisor keeps getting updates of shiomi, none with yamabe's case or people
    ok(await agent.call("agent.status", {"status": "away"}))
    await boss.wait_for("supervisor.snapshot", lambda s: any(a["activity"] == "away" for a in s["agents"]), within=2.0)
    for snapshot in boss.received["supervisor.snapshot"]:
        assert snapshot["municipality_id"] == "shiomi"
        assert all(c["consultation_id"] != theirs for c in snapshot["queue"])
        assert all(a["display_name"] not in ("yamabe_agent さん", "yamabe_absent さん") for a in snapshot["agents"])
        assert all(a.get("consultation_id") != theirs for a in snapshot["alerts"])
    # and a shiomi supervisor cannot steer a yamabe case: it does not exist for them
    assert error_code(await boss.call("supervisor.move_route", {"consultation_id": theirs, "route": "tax"})) == (
        "not_found"
    )
    for peer in (agent, other_agent, boss, both, shiomi_booth, yamabe_booth):
        await peer.close()


async def test_offer_to_a_named_agent_move_and_set_away_are_audited(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth("北港ブース")
    tanaka = await live_server.add_agent("tanaka", PASSWORD, routes=("tax",))
    boss_id = await live_server.add_agent("boss", PASSWORD, role="supervisor")
    agent = await agent_peer(live_server, "tanaka", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    boss = await supervisor_peer(live_server, "boss")
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
    await boss.wait_for("supervisor.snapshot", has_case(cid, stranded=True))

    bad = {"consultation_id": cid, "agent_id": "nobody"}
    assert error_code(await boss.call("supervisor.assign", bad)) == "invalid_state"
    assert error_code(await boss.call("supervisor.assign", {"consultation_id": cid})) == "invalid_payload"
    ok(await boss.call("supervisor.move_route", {"consultation_id": cid, "route": "general_inquiry"}))
    await boss.wait_for("supervisor.snapshot", has_case(cid, route="general_inquiry"))
    ok(await boss.call("supervisor.assign", {"consultation_id": cid, "agent_id": tanaka}))
    offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    assert offer["route"] == "general_inquiry"
    await boss.wait_for("supervisor.snapshot", has_case(cid, state="offered", offered_to=tanaka))
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")
    busy = await boss.wait_for(
        "supervisor.snapshot", lambda s: any(a["activity"] == "busy" for a in s["agents"]) and not s["queue"]
    )
    assert [a["consultation_id"] for a in busy["agents"] if a["agent_id"] == tanaka] == [cid]
    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": ""}))
    await boss.wait_for(
        "supervisor.snapshot",
        lambda s: [a["activity"] for a in s["agents"] if a["agent_id"] == tanaka] == ["available"],
    )
    ok(await boss.call("supervisor.set_away", {"agent_id": tanaka}))
    assert (await agent.wait_for("agent.state", lambda s: s["status"] == "away"))["status"] == "away"

    entries = await AuditLog(live_server.app[keys.DATABASE]).recent()
    lines = [(e.actor, e.action, e.detail) for e in reversed(entries) if e.action.startswith("supervisor.")]
    assert lines == [
        (f"staff:{boss_id}", "supervisor.move_route", {"consultation_id": cid, "route": "general_inquiry"}),
        (f"staff:{boss_id}", "supervisor.assign", {"consultation_id": cid, "agent_id": tanaka}),
        (f"staff:{boss_id}", "supervisor.set_away", {"agent_id": tanaka}),
    ]
    for peer in (agent, boss, booth):
        await peer.close()


async def test_a_supervisor_who_left_the_console_for_this_page_is_watching_not_gone(tmp_path: Path) -> None:
    """The tester's supervisor was listed among the staff as 未接続 while watching /supervisor (during the grace
    period of the console they had just left; a long grace here so the check cannot race it)."""
    async with serve(make_settings(tmp_path, grace_period_s=60.0)) as live_server:
        await live_server.add_agent("boss", PASSWORD, role="supervisor")
        console = await agent_peer(live_server, "boss", PASSWORD)  # a supervisor lands on the console first
        await console.close()
        watcher = await supervisor_peer(live_server, "boss")

        def boss_is(activity: str) -> Any:
            return lambda snap: (
                [a["activity"] for a in snap["agents"] if a["display_name"] == "boss さん"] == [activity]
            )

        await watcher.wait_for("supervisor.snapshot", boss_is("watching"))
        await watcher.close()
        console = await agent_peer(live_server, "boss", PASSWORD)  # back on the console: away, not watching
        other = await supervisor_peer(live_server, "boss")
        await other.wait_for("supervisor.snapshot", boss_is("away"))
        for peer in (console, other):
            await peer.close()


async def test_a_supervisor_stays_listed_as_watching_after_the_consoles_grace_ran_out(tmp_path: Path) -> None:
    """fix7b: the supervisor was 「この画面を 見ています」 only for the left console's grace period, then vanished from
    the staff list while still watching: listed for as long as the /supervisor connection lives (no time in state)."""
    async with serve(make_settings(tmp_path, grace_period_s=0.2)) as live_server:
        await live_server.add_agent("boss", PASSWORD, role="supervisor")
        console = await agent_peer(live_server, "boss", PASSWORD)
        await console.close()
        watcher = await supervisor_peer(live_server, "boss")
        listed = await watcher.wait_for(
            "supervisor.snapshot",
            lambda snap: (
                [(a["activity"], a["since"]) for a in snap["agents"] if a["display_name"] == "boss さん"]
                == [("watching", None)]
            ),
        )
        assert listed["agents"][0]["routes"] == []
        await watcher.close()


async def test_a_booths_last_seen_time_survives_a_restart(tmp_path: Path) -> None:
    """#11: the booth list said 未接続 with no time after a deploy (the time was kept in one process's memory).
    It is in the database now: the next process says when the booth was last connected."""
    settings = make_settings(tmp_path)
    async with serve(settings) as first:
        booth_id, token, _ = await first.add_booth()
        await first.add_agent("boss", PASSWORD, role="supervisor")
        booth = await booth_peer(first, token)
        connected_at = time.time()
        deadline = time.monotonic() + 15.0
        while (found := await first.app[keys.BOOTHS].get(booth_id)) is not None and found.last_seen_at is None:
            assert time.monotonic() < deadline, "the booth's last-seen time was never written"
            await asyncio.sleep(0.2)
        await booth.close()
    async with serve(settings) as second:
        boss = await supervisor_peer(second, "boss")
        snapshot = await boss.wait_for(
            "supervisor.snapshot", lambda s: any(b["booth_id"] == booth_id for b in s["booths"])
        )
        (card,) = [b for b in snapshot["booths"] if b["booth_id"] == booth_id]
        assert card["online"] is False
        assert card["last_seen"] is not None and connected_at - 1 <= card["last_seen"] <= time.time()
        await boss.close()


@on_both_topologies
async def test_a_supervisor_who_comes_after_the_booth_left_is_told_when_it_was_last_seen(
    live_server: LiveServer,
) -> None:
    """Each process knew only what its own snapshots had seen: a supervisor who opened the page after the booth went
    (or on another process) saw it offline with no time. The time is read from the database now."""
    booth_id, token, _ = await live_server.add_booth()
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    booth = await booth_peer(live_server, token)
    connected_at = time.time()
    deadline = time.monotonic() + 15.0
    while (found := await live_server.app[keys.BOOTHS].get(booth_id)) is not None and found.last_seen_at is None:
        assert time.monotonic() < deadline, "the booth's last-seen time was never written"
        await asyncio.sleep(0.2)
    await booth.close()
    boss = await supervisor_peer(live_server, "boss")  # on the staff's process with two
    snapshot = await boss.wait_for(
        "supervisor.snapshot",
        lambda s: any(b["booth_id"] == booth_id and not b["online"] for b in s["booths"]),
        within=10.0,
    )
    (card,) = [b for b in snapshot["booths"] if b["booth_id"] == booth_id]
    assert card["last_seen"] is not None and connected_at - 1 <= card["last_seen"] <= time.time()
    await boss.close()


async def test_a_page_gets_the_whole_view_on_joining_then_only_what_changed(live_server: LiveServer) -> None:
    """#11 perf: join → the whole view with its version; a change → a supervisor.delta on that version with the one
    row that changed (not the booths, not the staff); resync → the whole view at the latest version; the booths
    beyond the view's a page at a time; another town's are not_found."""
    _, token, _ = await live_server.add_booth("北港ブース", municipality="shiomi")
    for n in range(3):
        await live_server.add_booth(f"南浜ブース{n}", municipality="shiomi")
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    boss = await supervisor_peer(live_server, "boss")
    whole = await boss.wait_for("supervisor.snapshot")
    assert whole["version"] >= 1 and (whole["booths_total"], whole["booths_online"]) == (4, 0)
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    delta = await boss.wait_for(
        "supervisor.delta", lambda d: any(c["consultation_id"] == cid for c in d.get("queue", {}).get("upserts", []))
    )
    assert delta["municipality_id"] == "shiomi" and delta["version"] > delta["base"] >= whole["version"]
    assert delta["queue"]["removed"] == [] and len(delta["queue"]["upserts"]) == 1 and delta["queue"]["total"] == 1
    assert "agents" not in delta  # nobody's state moved
    # every delta applied in order on top of the whole view (the test peer does what the page does)
    assert boss.received["supervisor.resync"] == []
    view = await boss.wait_for("supervisor.snapshot", has_case(cid))
    assert view["booths_online"] == 1
    resynced = ok(await boss.call("supervisor.resync", {"municipality_id": "shiomi"}))["snapshot"]
    assert resynced["version"] >= delta["version"] and [c["consultation_id"] for c in resynced["queue"]] == [cid]
    page = ok(await boss.call("supervisor.booths", {"municipality_id": "shiomi", "offset": 1, "limit": 2}))
    assert (page["offset"], page["total"], len(page["booths"])) == (1, 4, 2)
    assert error_code(await boss.call("supervisor.resync", {"municipality_id": "yamabe"})) == "not_found"
    assert error_code(await boss.call("supervisor.booths", {"municipality_id": "shiomi", "limit": 0})) == (
        "invalid_payload"
    )
    for peer in (boss, booth):
        await peer.close()
