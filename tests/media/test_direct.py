"""Two real aiortc peers in one process, no server: the reference call and negotiation edge cases."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from madoguchi.media.probe import KINDS, run_direct_call
from madoguchi.media.session import MediaError, MediaSession

pytestmark = pytest.mark.media

Relay = Callable[[dict[str, Any]], list[dict[str, Any]]]


def passthrough(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [payload]


def like_a_browser(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Strip candidates out of the SDP and send them as separate ``candidate`` signals *before* it."""
    description = payload.get("description")
    if description is None:
        return [payload]
    lines = description["sdp"].split("\r\n")
    kept: list[str] = []
    candidates: list[dict[str, Any]] = []
    mline_index, mid = -1, None
    for line in lines:
        if line.startswith("m="):
            mline_index += 1
            mid = None
        elif line.startswith("a=mid:"):
            mid = line.split(":", 1)[1]
        if line.startswith("a=candidate:"):
            candidates.append({"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": mline_index})
            continue
        if line == "a=end-of-candidates":
            continue
        kept.append(line)
    assert candidates, "aiortc's SDP should carry its gathered candidates"
    stripped = {"description": {"type": description["type"], "sdp": "\r\n".join(kept)}}
    return [{"candidate": c} for c in candidates] + [stripped]


class Pair:
    """An impolite agent session and a polite booth session wired through in-process queues."""

    def __init__(self, agent_relay: Relay = passthrough, booth_relay: Relay = passthrough) -> None:
        self.queues: dict[str, asyncio.Queue[dict[str, Any]]] = {
            "agent": asyncio.Queue(),
            "booth": asyncio.Queue(),
        }
        self.agent = MediaSession(polite=False, ice_servers=[], send_signal=self._sender("booth", agent_relay))
        self.booth = MediaSession(polite=True, ice_servers=[], send_signal=self._sender("agent", booth_relay))
        self.errors: list[BaseException] = []
        self._pumps = [
            asyncio.ensure_future(self._pump("agent", self.agent)),
            asyncio.ensure_future(self._pump("booth", self.booth)),
        ]

    def _sender(self, to: str, relay: Relay) -> Callable[[dict[str, Any]], Any]:
        async def send(payload: dict[str, Any]) -> None:
            for item in relay(payload):
                self.queues[to].put_nowait(item)

        return send

    async def _pump(self, name: str, session: MediaSession) -> None:
        while True:
            payload = await self.queues[name].get()
            try:
                await session.handle_signal(payload)
            except MediaError as exc:
                self.errors.append(exc)

    async def flowing(self, timeout_s: float = 10.0) -> None:
        await asyncio.gather(self.agent.wait_connected(timeout_s), self.booth.wait_connected(timeout_s))
        await asyncio.gather(
            self.agent.wait_first_frames(KINDS, timeout_s), self.booth.wait_first_frames(KINDS, timeout_s)
        )

    async def close(self) -> None:
        for task in self._pumps:
            task.cancel()
        for task in self._pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.gather(self.agent.close(), self.booth.close())


@contextlib.asynccontextmanager
async def pair(**relays: Relay) -> AsyncIterator[Pair]:
    p = Pair(**relays)
    try:
        yield p
    finally:
        await p.close()


async def test_direct_call_carries_audio_and_video_both_ways() -> None:
    result = await run_direct_call(timeout_s=10.0, hold_s=0.5)
    assert result.ok, result.error
    for side in ("agent", "booth"):
        frames = result.frames_received[side]
        assert frames["audio"] >= 10, frames  # 0.5 s of 20 ms frames, with room for a slow machine
        assert frames["video"] >= 5, frames
        first = result.first_frames_ms[side]
        assert first["audio"] is not None and first["video"] is not None
    assert result.signaling_ms is not None and result.connected_ms is not None and result.first_frame_ms is not None
    assert 0 < result.signaling_ms < result.connected_ms < result.first_frame_ms


async def test_received_video_is_our_pattern_in_order() -> None:
    async with pair() as p:
        await p.agent.negotiate()
        await p.flowing()
        await asyncio.sleep(0.3)
        for session in (p.agent, p.booth):
            video = session.received["video"]
            assert (video.width, video.height) == (320, 240)
            assert video.counters_in_order
            assert video.last_counter is not None and video.last_counter >= 1


async def test_trickled_candidates_that_arrive_before_the_description_are_applied() -> None:
    async with pair(agent_relay=like_a_browser, booth_relay=like_a_browser) as p:
        await p.agent.negotiate()
        await p.flowing()
        assert p.errors == []
        assert p.booth.pc.remoteDescription is not None
        assert "a=candidate:" not in p.booth.pc.remoteDescription.sdp.split("m=", 1)[0]


async def test_glare_the_polite_booth_gives_way_and_the_call_connects() -> None:
    async with pair() as p:
        await asyncio.gather(p.agent.negotiate(), p.booth.negotiate())
        await p.flowing()
        assert p.booth.rebuilds == 1  # aiortc cannot roll back, so the polite side rebuilt its connection
        assert p.agent.rebuilds == 0  # the impolite side ignored the colliding offer


async def test_restart_rebuilds_both_connections_and_media_flows_again() -> None:
    async with pair() as p:
        await p.agent.negotiate()
        await p.flowing()
        first_pc = p.booth.pc
        before = p.booth.frame_counts()["video"]
        await p.agent.restart()
        await asyncio.gather(p.agent.wait_connected(10.0), p.booth.wait_connected(10.0))
        assert p.booth.pc is not first_pc and p.booth.rebuilds == 1 and p.agent.rebuilds == 1
        await p.booth.wait_frames("video", before + 3, timeout_s=10.0)


async def test_unusable_signals_are_refused_with_a_clear_error() -> None:
    async with pair() as p:
        with pytest.raises(MediaError, match="neither a description nor a candidate"):
            await p.booth.handle_signal({})
        with pytest.raises(MediaError, match="unusable description"):
            await p.booth.handle_signal({"description": {"type": "bogus", "sdp": ""}})
        await p.agent.negotiate()
        await p.flowing()
        with pytest.raises(MediaError, match="unparsable ICE candidate"):
            await p.booth.handle_signal({"candidate": {"candidate": "candidate:nonsense", "sdpMid": "0"}})
