"""Who may join a running call (session 8's outside attack: any agent of the town observed any call, a 生活保護
consultation included, and wrote into its chat). Observers are supervisors or admins and only read; an
interpreter is one of them or someone the call's agent or a supervisor invited to that call (session 9: any agent
of the route joined uninvited). Every refused join is in the audit log: who, which call, why."""

from __future__ import annotations

import asyncio

from madoguchi import keys
from madoguchi.storage.audit import AuditLog
from tests.support import LiveServer, agent_peer, booth_peer, ok, on_both_topologies

PASSWORD = "correct horse battery"


def code(ack: object) -> str | None:
    return ack["error"]["code"] if isinstance(ack, dict) and "error" in ack else None


async def test_only_supervisors_observe_and_observers_do_not_write(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD)
    await live_server.add_agent("records", PASSWORD, routes=("resident_records",))
    welfare_id = await live_server.add_agent("welfare", PASSWORD, routes=("livelihood_support",))
    await live_server.add_agent("chief", PASSWORD, role="supervisor")
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    records, welfare, chief = [await agent_peer(live_server, n, PASSWORD) for n in ("records", "welfare", "chief")]
    for peer in (records, welfare, chief):
        ok(await peer.call("agent.status", {"status": "away"}))
    cid = ok(await booth.call("consultation.request", {"route": "livelihood_support"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")

    observe, interpret = {"consultation_id": cid, "role": "observer"}, {"consultation_id": cid, "role": "interpreter"}
    refused = await records.call("consultation.join", observe)
    assert code(refused) == "forbidden" and "supervisor" in refused["error"]["message"]
    refused = await records.call("consultation.join", interpret)
    assert code(refused) == "not_invited" and "invite" in refused["error"]["message"]
    assert code(await welfare.call("consultation.join", observe)) == "forbidden"
    assert code(await welfare.call("consultation.join", interpret)) == "not_invited", "serves the route, uninvited"
    ok(await chief.call("consultation.join", observe))
    ask = {"consultation_id": cid, "staff_id": welfare_id}
    assert code(await records.call("interpreter.invite", ask)) == "forbidden", "not the call's agent"
    expires_at = ok(await agent.call("interpreter.invite", ask))["expires_at"]
    invitation = await welfare.wait_for("interpreter.invite")
    assert invitation["consultation_id"] == cid and invitation["expires_at"] == expires_at
    ok(await welfare.call("consultation.join", interpret))

    line = {"consultation_id": cid, "text": "observer speaking", "client_id": "o-1"}
    refused = await chief.call("chat.send", line)
    assert code(refused) == "read_only" and refused["error"]["message"]
    ok(await welfare.call("chat.send", {**line, "client_id": "i-1", "text": "通訳です"}))
    await booth.wait_for("chat.message", lambda m: m["text"] == "通訳です")
    assert not [m for m in booth.received["chat.message"] if m["text"] == "observer speaking"]
    for peer in (booth, agent, records, welfare, chief):
        await peer.close()
    refusals = await audited(live_server, "call.join_refused", 4)
    assert sorted((d["username"], d["consultation_id"], d["role"], d["code"]) for _, d in refusals) == [
        ("records", cid, "interpreter", "not_invited"),
        ("records", cid, "observer", "forbidden"),
        ("welfare", cid, "interpreter", "not_invited"),
        ("welfare", cid, "observer", "forbidden"),
    ]
    assert all(d["reason"] for _, d in refusals)
    assert [d["staff_id"] for _, d in await audited(live_server, "call.interpreter_invite", 1)] == [welfare_id]


async def test_the_invitee_declines_and_the_agent_and_the_resident_are_told(live_server: LiveServer) -> None:
    """ことわる is a server event: the invitation ends, the agent hears nobody comes, the kiosk stops saying one is
    being called; nobody else may decline it."""
    _, token, _ = await live_server.add_booth()
    agent_id = await live_server.add_agent("agent1", PASSWORD)
    welfare_id = await live_server.add_agent("welfare", PASSWORD, routes=("livelihood_support",))
    await live_server.add_agent("records", PASSWORD, routes=("resident_records",))
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    welfare, records = [await agent_peer(live_server, n, PASSWORD) for n in ("welfare", "records")]
    for peer in (welfare, records):
        ok(await peer.call("agent.status", {"status": "away"}))
    cid = ok(await booth.call("consultation.request", {"route": "livelihood_support"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")
    ok(await agent.call("interpreter.invite", {"consultation_id": cid, "staff_id": welfare_id}))
    await welfare.wait_for("interpreter.invite")
    await booth.wait_for("interpreter.called")

    refused = await records.call("interpreter.decline", {"consultation_id": cid})
    assert code(refused) == "not_invited" and refused["error"]["message"], "only the invitee declines"
    assert code(await welfare.call("interpreter.decline", {})) == "invalid_payload"
    ok(await welfare.call("interpreter.decline", {"consultation_id": cid}))
    told = {
        "consultation_id": cid,
        "staff_id": welfare_id,
        "name": "welfare さん",
        "by": agent_id,
        "still_until": None,
    }
    assert await agent.wait_for("interpreter.declined") == told
    assert await booth.wait_for("interpreter.declined") == told
    assert code(await welfare.call("consultation.join", {"consultation_id": cid, "role": "interpreter"})) == (
        "not_invited"
    ), "the invitation is over"
    assert code(await welfare.call("interpreter.decline", {"consultation_id": cid})) == "not_invited"
    for peer in (booth, agent, welfare, records):
        await peer.close()


async def audited(server: LiveServer, action: str, count: int) -> list[tuple[str, dict[str, object]]]:
    """The entries of ``action``, oldest first, once there are ``count`` (they are written in the background)."""
    found: list[tuple[str, dict[str, object]]] = []
    for _ in range(100):
        entries = reversed(await AuditLog(server.app[keys.DATABASE]).recent())
        found = [(e.actor, dict(e.detail)) for e in entries if e.action == action]
        if len(found) >= count:
            break
        await asyncio.sleep(0.05)
    return found


@on_both_topologies
async def test_a_supervisor_who_invited_is_told_who_declined_and_the_other_invitation_stays_open(
    live_server: LiveServer,
) -> None:
    """The supervisor who invited from outside the call heard nothing when the invitee declined, and one decline of
    two invitations told the kiosk nobody was being called any more."""
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD)
    welfare_id = await live_server.add_agent("welfare", PASSWORD, routes=("livelihood_support",))
    records_id = await live_server.add_agent("records", PASSWORD, routes=("resident_records",))
    chief_id = await live_server.add_agent("chief", PASSWORD, role="supervisor")
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    welfare, records, chief = [await agent_peer(live_server, n, PASSWORD) for n in ("welfare", "records", "chief")]
    for peer in (welfare, records, chief):
        ok(await peer.call("agent.status", {"status": "away"}))
    cid = ok(await booth.call("consultation.request", {"route": "livelihood_support"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")
    ok(await chief.call("interpreter.invite", {"consultation_id": cid, "staff_id": welfare_id}))
    second = ok(await agent.call("interpreter.invite", {"consultation_id": cid, "staff_id": records_id}))
    await welfare.wait_for("interpreter.invite")
    await records.wait_for("interpreter.invite")
    ok(await welfare.call("interpreter.decline", {"consultation_id": cid}))
    told = await chief.wait_for("interpreter.declined")  # the supervisor is not in the call
    assert told["name"] == "welfare さん" and told["by"] == chief_id and told["staff_id"] == welfare_id
    on_kiosk = await booth.wait_for("interpreter.declined")
    assert on_kiosk["still_until"] == second["expires_at"]  # records is still being asked
    ok(await records.call("consultation.join", {"consultation_id": cid, "role": "interpreter"}))  # still open
    await booth.wait_for("participant.joined")
    for peer in (booth, agent, welfare, records, chief):
        await peer.close()
