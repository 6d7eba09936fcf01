"""Joint operation (共同運用) on the supervisor's view: an agent who works for two towns appears in both towns'
views, but one town's supervisor neither learns which of the other town's cases that agent is handling nor takes
the agent off duty for the other town (the rule the admin page follows for staff changes). Red team, issue 9."""

from __future__ import annotations

from madoguchi import keys
from tests.integration.test_supervisor import PASSWORD, error_code, supervisor_peer
from tests.support import LiveServer, agent_peer, booth_peer, ok


async def test_one_towns_supervisor_sees_a_joint_agent_busy_but_not_the_other_towns_case(
    live_server: LiveServer,
) -> None:
    _, yamabe_token, _ = await live_server.add_booth("山辺ブース", municipality="yamabe")
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    await live_server.app[keys.ACCOUNTS].add_user(
        "joint",
        PASSWORD,
        role="agent",
        municipality_ids=["shiomi", "yamabe"],
        routes=["*"],
        languages=["ja"],
        display_name="joint さん",
    )
    await live_server.app[keys.ACCOUNTS].add_user(
        "both_boss",
        PASSWORD,
        role="supervisor",
        municipality_ids=["shiomi", "yamabe"],
        routes=["*"],
        languages=["ja"],
        display_name="both さん",
    )
    agent = await agent_peer(live_server, "joint", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    boss = await supervisor_peer(live_server, "boss")
    both = await supervisor_peer(live_server, "both_boss")
    booth = await booth_peer(live_server, yamabe_token)
    cid = ok(await booth.call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent.call("offer.accept", {"consultation_id": cid}))

    # the supervisors watching are listed too (as watching): look the joint agent up by name
    busy = await boss.wait_for(
        "supervisor.snapshot",
        lambda s: any(a["display_name"] == "joint さん" and a["activity"] != "available" for a in s["agents"]),
        within=4,
    )
    [row] = [a for a in busy["agents"] if a["display_name"] == "joint さん"]
    assert row["consultation_id"] is None and row["consultation_route"] is None
    for snapshot in boss.received["supervisor.snapshot"]:
        assert cid not in str(snapshot)
    # the supervisor of both towns sees the case in yamabe's view
    await both.wait_for(
        "supervisor.snapshot",
        lambda s: s["municipality_id"] == "yamabe" and any(a["consultation_id"] == cid for a in s["agents"]),
        within=4,
    )

    # shiomi's supervisor cannot take yamabe's agent off duty; the supervisor of both towns can
    assert error_code(await boss.call("supervisor.set_away", {"agent_id": row["agent_id"]})) == "forbidden"
    ok(await both.call("supervisor.set_away", {"agent_id": row["agent_id"]}))
    for peer in (agent, boss, both, booth):
        await peer.close()
