"""The booths' self-test call on the real server: the kiosk's offer goes to the server's echo peer
(``selftest.echo``), which sends its audio and its pings back; the kiosk's report (``selftest.report``) reaches
the supervisors' booth list. A headless aiortc peer plays the kiosk's part (the browser's is in
``tests/links/test_self_test.py``)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from madoguchi.media.echo import MAX_ECHOES
from tests.integration.test_supervisor import PASSWORD, supervisor_peer
from tests.support import LiveServer, booth_peer, ok

PINGS = 10


async def echo_call(booth: Any) -> tuple[RTCPeerConnection, dict[str, float], asyncio.Future[MediaStreamTrack]]:
    """Offer like the kiosk (a sound track, an unordered data channel without retransmissions), answered by the
    server's echo peer; returns the connection, the pings' round trips and the track that comes back."""
    pc = RTCPeerConnection()
    channel = pc.createDataChannel("selftest", ordered=False, maxRetransmits=0)
    pc.addTrack(AudioStreamTrack())
    back: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
    pc.on("track", lambda track: back.done() or back.set_result(track))
    sent: dict[str, float] = {}
    rtts: dict[str, float] = {}
    opened, all_back = asyncio.Event(), asyncio.Event()
    channel.on("open", opened.set)

    def on_message(message: str) -> None:
        if message in sent:
            rtts[message] = time.perf_counter() - sent[message]
        if len(rtts) == PINGS:
            all_back.set()

    channel.on("message", on_message)
    await pc.setLocalDescription(await pc.createOffer())
    ack = ok(await booth.call("selftest.echo", {"sdp": pc.localDescription.sdp}))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=ack["sdp"], type="answer"))
    await asyncio.wait_for(opened.wait(), 10)
    for n in range(PINGS):
        sent[f"ping:{n}"] = time.perf_counter()
        channel.send(f"ping:{n}")
        await asyncio.sleep(0.02)
    await asyncio.wait_for(all_back.wait(), 5)
    return pc, rtts, back


async def test_the_echo_peer_sends_the_booths_audio_and_pings_back(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    pc, rtts, back = await echo_call(booth)
    try:
        assert len(rtts) == PINGS and max(rtts.values()) < 2.0, rtts
        track = await asyncio.wait_for(back, 5)
        assert track.kind == "audio"
        frame = await asyncio.wait_for(track.recv(), 5)  # the booth's sound, decoded, sent again
        assert frame.sample_rate == 48000
    finally:
        await pc.close()
        await booth.close()


async def test_bad_offers_and_too_many_echo_calls_get_clear_errors(live_server: LiveServer) -> None:
    booths = []
    for n in range(MAX_ECHOES + 1):
        _, token, _ = await live_server.add_booth(f"ブース{n}")
        booths.append(await booth_peer(live_server, token))
    bad = await booths[0].call("selftest.echo", {"sdp": "v=0\r\nnonsense"})
    assert bad["error"]["code"] == "unusable_offer", bad  # an event that parses, an offer that does not
    empty = await booths[0].call("selftest.echo", {"sdp": ""})
    assert empty["error"]["code"] == "invalid_payload"
    calls = []
    try:
        for booth in booths[:MAX_ECHOES]:
            pc = RTCPeerConnection()
            pc.createDataChannel("selftest")
            await pc.setLocalDescription(await pc.createOffer())
            ok(await booth.call("selftest.echo", {"sdp": pc.localDescription.sdp}))
            calls.append(pc)
        pc = RTCPeerConnection()
        pc.createDataChannel("selftest")
        await pc.setLocalDescription(await pc.createOffer())
        calls.append(pc)
        full = await booths[MAX_ECHOES].call("selftest.echo", {"sdp": pc.localDescription.sdp})
        assert full["error"]["code"] == "busy", full
        # the same booth again replaces its own echo call rather than taking a second place
        ok(await booths[0].call("selftest.echo", {"sdp": calls[0].localDescription.sdp}))
    finally:
        for pc in calls:
            await pc.close()
        for booth in booths:
            await booth.close()


async def test_the_supervisor_sees_each_booths_last_self_test(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth("北港ブース")
    other_id, _, _ = await live_server.add_booth("南浜ブース")
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    boss = await supervisor_peer(live_server, "boss")
    booth = await booth_peer(live_server, token)
    before = time.time()
    report = {"state": "warn", "items": ["network"], "relay": True, "rtt_ms": 1800, "loss_pct": 0, "audio": True}
    ok(await booth.call("selftest.report", report))
    bad = await booth.call("selftest.report", {**report, "state": "splendid"})
    assert bad["error"]["code"] == "invalid_payload"

    def reported(snapshot: Any) -> bool:
        return any(b["booth_id"] == booth_id and b.get("self_test") for b in snapshot["booths"])

    snapshot = await boss.wait_for("supervisor.snapshot", reported)
    rows = {b["booth_id"]: b for b in snapshot["booths"]}
    test = rows[booth_id]["self_test"]
    assert test["state"] == "warn" and test["items"] == ["network"] and test["rtt_ms"] == 1800
    assert test["relay"] is True and test["audio"] is True
    assert before - 1 <= test["at"] <= time.time() + 1, "the server's time, not the kiosk's"
    assert rows[other_id]["self_test"] is None
    for peer in (boss, booth):
        await peer.close()
