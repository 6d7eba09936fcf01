"""Each side's link-quality summary of a call is kept with the consultation's record and exported as ``link_*``
columns, on the real server; only people who took part in the case can report one."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_supervisor import supervisor_peer
from tests.support import LiveServer, agent_peer, answered_booth_call, booth_peer, http_get, ok, on_both_topologies

pytestmark = on_both_topologies

PASSWORD = "correct horse battery"


def summary(cid: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "consultation_id": cid,
        "samples": 30,
        "rtt_ms": {"min": 280, "median": 310, "max": 1400},
        "loss_pct": {"median": 1.0, "max": 6.5},
        "jitter_ms": {"median": 12},
        "freezes": 3,
        "worst_step": "low-video",
        "seconds": {"video": 40.0, "low_video": 12.5, "audio": 0, "chat": 0},
    }
    return {**base, **changes}


async def test_both_sides_summaries_are_kept_and_exported_as_the_worse_of_the_two(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    _, other_token, _ = await live_server.add_booth("ほかのブース")
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    other = await booth_peer(live_server, other_token)
    cid = await answered_booth_call(booth, agent)

    ok(await booth.call("call.quality", summary(cid, seconds={"video": 10, "audio": 20.5}, worst_step="audio")))
    ok(await booth.call("call.quality", summary(cid, worst_step="audio", seconds={"video": 40, "audio": 30})))
    ok(await agent.call("call.quality", summary(cid, rtt_ms={"median": 350}, loss_pct={"max": 2.0})))
    stranger = await other.call("call.quality", summary(cid))
    assert stranger["error"]["code"] == "not_found", "only people in the case report its link"
    bad = await booth.call("call.quality", summary(cid, worst_step="pigeon"))
    assert bad["error"]["code"] == "invalid_payload"

    [record] = [r for r in await live_server.export_records() if r["consultation_id"] == cid]
    assert record["link_worst_step"] == "audio", "the worse side's lowest step"
    assert record["link_rtt_ms_median"] == 350.0
    assert record["link_loss_pct_max"] == 6.5
    assert record["link_weak_s"] == 30.0, "the resident's latest summary replaced its first"
    for peer in (booth, other, agent):
        await peer.close()


async def test_a_booth_call_rings_with_each_sides_turn_servers(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    coming = await booth.wait_for("call.coming", lambda m: m["ringing"])
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    start = await booth.wait_for("call.start")
    # no TURN secret on this server: the configured servers alone, the same as call.start's
    assert offer["ice_servers"] == coming["ice_servers"] == start["ice_servers"]
    for peer in (booth, agent):
        await peer.close()


async def link_samples(server: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The ``madoguchi_link_*`` samples of every process of the server, summed over processes."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for url in server.urls:
        status, body = await http_get(f"{url}/metrics")
        assert status == 200
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name.startswith("madoguchi_link_"):
                    key = (sample.name, tuple(sorted(sample.labels.items())))
                    found[key] = found.get(key, 0.0) + float(sample.value)
    return found


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_final_summaries_fill_the_booths_link_histograms(live_server: LiveServer) -> None:
    """One observation per call and side, labelled with the case's booth from the directory: a summary that is not
    final is not counted, a final one sent twice counts once, and another booth's calls stay in its own series."""
    booth_id, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, agent)

    ok(await booth.call("call.quality", summary(cid)))  # the call still runs: nothing counted yet
    assert not any(v for (name, _), v in (await link_samples(live_server)).items() if name.endswith("_count"))

    steps = {"video": 40.0, "low_video": 12.5, "audio": 3.0, "chat": 0}
    final = summary(cid, concealment_pct=4.2, seconds=steps, final=True)
    ok(await booth.call("call.quality", final))
    ok(await booth.call("call.quality", final))  # sent again (a retry): counted once
    ok(await agent.call("call.quality", summary(cid, rtt_ms={"median": 650}, concealment_pct=0.8, final=True)))
    forged = await agent.call("call.quality", summary(cid, final=True, booth_id="B_forged"))
    assert forged["error"]["code"] == "invalid_payload", "the booth label is never the client's to choose"

    got = await link_samples(live_server)
    side = {"booth": booth_id, "side": "resident"}
    assert value(got, "madoguchi_link_rtt_ms_count", **side) == 1
    assert value(got, "madoguchi_link_rtt_ms_sum", **side) == 310
    assert value(got, "madoguchi_link_rtt_ms_bucket", le="300.0", **side) == 0
    assert value(got, "madoguchi_link_rtt_ms_bucket", le="500.0", **side) == 1
    assert value(got, "madoguchi_link_loss_percent_sum", **side) == 1.0
    assert value(got, "madoguchi_link_concealment_percent_sum", **side) == 4.2
    assert value(got, "madoguchi_link_concealment_percent_bucket", le="5.0", **side) == 1
    assert value(got, "madoguchi_link_step_seconds_sum", step="low-video", **side) == 12.5
    assert value(got, "madoguchi_link_step_seconds_count", step="chat", **side) == 1
    agent_side = {"booth": booth_id, "side": "agent"}
    assert value(got, "madoguchi_link_rtt_ms_sum", **agent_side) == 650
    assert value(got, "madoguchi_link_concealment_percent_sum", **agent_side) == 0.8
    booths = {dict(labels)["booth"] for (_, labels) in got}
    assert booths == {booth_id}, "only the directory's booth appears as a label"
    for peer in (booth, agent):
        await peer.close()


async def test_the_supervisors_booth_list_shows_the_last_calls_link_and_when_it_was_last_seen(
    live_server: LiveServer,
) -> None:
    """#11: the booths with "last heartbeat, last call's link quality". Before any call: no last call; after the
    booth's final summary the snapshot carries it (the booth's side); once the booth goes, it is offline with the
    moment it was last seen connected."""
    booth_id, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    boss = await supervisor_peer(live_server, "boss")

    def card(snapshot: dict[str, Any]) -> dict[str, Any]:
        (found,) = [b for b in snapshot["booths"] if b["booth_id"] == booth_id]
        return found

    first = card(await boss.wait_for("supervisor.snapshot", lambda s: card(s)["online"]))
    assert first["last_call"] is None and first["last_seen"] is not None
    cid = await answered_booth_call(booth, agent)
    # the booth's first: both are kept before the agent's process (the supervisor's, with two) reads them again
    ok(await booth.call("call.quality", summary(cid, loss_pct={"median": 2.5}, final=True)))
    ok(await agent.call("call.quality", summary(cid, rtt_ms={"median": 650}, final=True)))
    shown = card(await boss.wait_for("supervisor.snapshot", lambda s: card(s)["last_call"] is not None, within=4.0))
    assert shown["last_call"]["rtt_ms"] == 310.0 and shown["last_call"]["loss_pct"] == 2.5  # the booth's side
    assert shown["last_call"]["freezes"] == 3 and shown["last_call"]["worst_step"] == "low-video"
    seen_online = shown["last_seen"]
    await booth.close()
    offline = await boss.wait_for("supervisor.snapshot", lambda s: not card(s)["online"], within=40.0)
    gone = card(offline)
    # when this process's snapshots last found it connected (each process keeps its own: a little apart with two)
    assert gone["last_seen"] is not None and seen_online - 5 <= gone["last_seen"] <= offline["now"]
    assert gone["last_call"] == shown["last_call"]
    for peer in (agent, boss):
        await peer.close()
