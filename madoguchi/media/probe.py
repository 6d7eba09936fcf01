"""Full synthetic calls: booth → queue → agent → media both ways → end → wrap-up, with timings.

:func:`run_server_call` does what a resident at a booth and a member of staff would do, through a real server,
and measures from the agent's accept (the moment ``offer.accept`` is sent, so its round trip is included):

* ``signaling_ms``: until the agent has applied the booth's answer (offer out, answer back, via the server);
* ``connected_ms``: until the agent's RTCPeerConnection is ``connected`` (ICE + DTLS);
* ``first_frame_ms``: until the agent has decoded the first video frame from the booth.

Both sides' first audio and video frames are reported too (``first_frames_ms``).  A call is ``ok`` only when
both peers connected, all four tracks (audio and video, each way) delivered frames, and the call was ended and
wrapped up, so the consultation record is complete and the agent is free again.

:func:`run_direct_call` is the reference: the same two media sessions, the same sources, connected directly
in one process with no server, measured from the start of negotiation.  The difference between the two is
what the signaling path costs.

A probe must never pick up a real resident: its agent accepts only the offer for the consultation its own
booth just requested, and declines any other offer it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from madoguchi.media.connection import PeerError, ProtocolError, login_agent
from madoguchi.media.peer import AgentPeer, BoothPeer
from madoguchi.media.session import Clock, MediaError, MediaSession

KINDS = ("audio", "video")
T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class ProbeTarget:
    """Where and as whom a probe calls."""

    booth_server: str
    agent_server: str
    booth_token: str
    agent_user: str
    agent_password: str
    route: str = "general_inquiry"
    language: str = "ja"
    relay_only: bool = False
    """Both peers gather TURN candidates only: the call proves the TURN server and its credentials work."""


@dataclass
class CallResult:
    """One call's outcome, printed as one JSON line by ``madoguchi probe``."""

    ok: bool = False
    signaling_ms: float | None = None
    connected_ms: float | None = None
    first_frame_ms: float | None = None
    frames_received: dict[str, dict[str, int]] = field(default_factory=dict)
    first_frames_ms: dict[str, dict[str, float | None]] = field(default_factory=dict)
    phases_ms: dict[str, float] = field(default_factory=dict)
    consultation_id: str | None = None
    error: str | None = None
    relay: bool | None = None
    """Whether the candidate pair ICE selected is relayed through TURN, on both sides (None: not known)."""
    candidate_pairs: dict[str, list[str]] = field(default_factory=dict)
    """Per side, the selected pair's [local, remote] candidate types."""
    direct: dict[str, float | None] | None = None
    """With ``compare_direct``: the same measurements for a call between two peers in this process, no server,
    made right before or after this one, so the two are taken under the same machine conditions."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def _both(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Run two steps concurrently and wait for *both* to finish before raising the first failure.

    Unlike a bare ``asyncio.gather``, no step is left running in the background after the other failed (a
    connect that completes after we gave up would leave a socket open behind our back).
    """
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    if isinstance(one, BaseException):
        raise one
    if isinstance(two, BaseException):
        raise two
    return one, two


def _ms(moment: float | None, start: float) -> float | None:
    return None if moment is None else round((moment - start) * 1000, 2)


async def _measure_media(
    agent: MediaSession,
    booth: MediaSession,
    start: float,
    result: CallResult,
    timeout_s: float,
    hold_s: float,
) -> None:
    """Wait for connection and first frames on both sides, hold, and fill the timings into ``result``."""
    try:
        async with asyncio.timeout(timeout_s):
            await _both(agent.wait_connected(timeout_s), booth.wait_connected(timeout_s))
            await _both(agent.wait_first_frames(KINDS, timeout_s), booth.wait_first_frames(KINDS, timeout_s))
    except TimeoutError:
        raise MediaError(f"media was not flowing both ways within {timeout_s:g} s") from None
    finally:
        result.signaling_ms = _ms(agent.times.remote_description_at, start)
        result.connected_ms = _ms(agent.times.connected_at, start)
        result.first_frame_ms = _ms(agent.times.first_frame_at.get("video"), start)
    if hold_s > 0:
        await asyncio.sleep(hold_s)
    _collect_frames(agent, booth, start, result)
    _collect_pairs(agent, booth, result)


def _collect_pairs(agent: MediaSession, booth: MediaSession, result: CallResult) -> None:
    pairs = {"agent": agent.selected_candidate_types(), "booth": booth.selected_candidate_types()}
    result.candidate_pairs = {side: list(pair) for side, pair in pairs.items() if pair is not None}
    if all(pair is not None for pair in pairs.values()):
        result.relay = all("relay" in pair for pair in pairs.values() if pair is not None)


def _collect_frames(agent: MediaSession, booth: MediaSession, start: float, result: CallResult) -> None:
    for side, session in (("agent", agent), ("booth", booth)):
        result.frames_received[side] = session.frame_counts()
        result.first_frames_ms[side] = {kind: _ms(session.times.first_frame_at.get(kind), start) for kind in KINDS}
        video = session.received.get("video")
        if video is not None and not video.counters_in_order:
            raise MediaError(f"the {side} received video frames out of order or not from our source")


# -- direct reference ----------------------------------------------------------------------------------------


async def run_direct_call(
    *, timeout_s: float = 10.0, hold_s: float = 0.0, clock: Clock = time.perf_counter
) -> CallResult:
    """Two aiortc peers connected in-process with no server: the benchmark's reference call."""
    result = CallResult()
    queues: dict[str, asyncio.Queue[dict[str, Any]]] = {"agent": asyncio.Queue(), "booth": asyncio.Queue()}

    def sender(to: str) -> Any:
        async def send(payload: dict[str, Any]) -> None:
            queues[to].put_nowait(payload)

        return send

    start = clock()
    agent = MediaSession(polite=False, ice_servers=[], send_signal=sender("booth"), clock=clock)
    booth = MediaSession(polite=True, ice_servers=[], send_signal=sender("agent"), clock=clock)

    async def pump(name: str, session: MediaSession) -> None:
        while True:
            await session.handle_signal(await queues[name].get())

    pumps = [asyncio.ensure_future(pump("agent", agent)), asyncio.ensure_future(pump("booth", booth))]
    try:
        await agent.negotiate()
        await _measure_media(agent, booth, start, result, timeout_s, hold_s)
        result.ok = True
    except (MediaError, PeerError) as exc:
        result.error = str(exc)
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await _both(agent.close(), booth.close())
    return result


# -- through the server --------------------------------------------------------------------------------------


async def run_server_call(
    target: ProbeTarget,
    session_cookie: str,
    *,
    timeout_s: float = 15.0,
    hold_s: float = 0.5,
    clock: Clock = time.perf_counter,
) -> CallResult:
    """One complete booth → agent call through the server, measured from the agent's accept."""
    result = CallResult()
    booth = BoothPeer(target.booth_server, clock=clock, relay_only=target.relay_only)
    agent = AgentPeer(target.agent_server, clock=clock, relay_only=target.relay_only)
    stage = "connecting"
    try:
        async with asyncio.timeout(timeout_s * 3):
            await _both(booth.connect(target.booth_token, timeout_s), agent.connect(session_cookie, timeout_s))
            stage = "going available"
            await agent.set_status("available")
            stage = "requesting a consultation"
            consultation_id = await booth.request_consultation(target.route, target.language)
            result.consultation_id = consultation_id
            stage = "waiting for the offer"
            await _take_own_offer(agent, consultation_id, timeout_s)
            stage = "accepting"
            start = clock()
            await agent.call("offer.accept", {"consultation_id": consultation_id})
            accepted_at = clock()
            stage = "starting media"
            agent_media, booth_media = await _both(agent.wait_session(timeout_s), booth.wait_session(timeout_s))
            stage = "connecting media"
            try:
                await _measure_media(agent_media, booth_media, start, result, timeout_s, hold_s)
            finally:
                result.phases_ms = _phases(start, accepted_at, agent, booth)
            stage = "ending the call"
            await agent.call("consultation.end", {"consultation_id": consultation_id})
            await _both(agent.end_media(), booth.end_media())
            stage = "submitting the wrap-up"
            await agent.call(
                "wrapup.submit",
                {"consultation_id": consultation_id, "disposition": "resolved", "note": "probe"},
            )
            stage = "going away"
            await agent.set_status("away")
            errors = booth.media_errors + agent.media_errors
            if target.relay_only and result.relay is False:
                errors.append(f"relay-only, yet the selected candidate pairs were {result.candidate_pairs}")
            if errors:
                raise MediaError("; ".join(errors))
            result.ok = True
    except TimeoutError:
        result.error = f"timed out while {stage}"
    except (PeerError, MediaError) as exc:
        result.error = f"{stage}: {exc}"
    finally:
        if not result.ok:
            await _clean_up_failed_call(booth, agent, result.consultation_id)
        await _both(booth.close(), agent.close())
    return result


def _phases(start: float, accepted_at: float, agent: AgentPeer, booth: BoothPeer) -> dict[str, float]:
    """When each signaling step happened, from the accept; both peers share this process's clock."""
    phases = {"accept_acked": accepted_at}
    for side, peer in (("agent", agent), ("booth", booth)):
        for step, moment in peer.marks.items():
            if not step.startswith(("candidate", "call_end")):
                phases[f"{side}_{step}"] = moment
    ordered = sorted(phases.items(), key=lambda item: item[1])
    return {name: round((moment - start) * 1000, 2) for name, moment in ordered}


async def _take_own_offer(agent: AgentPeer, consultation_id: str, timeout_s: float) -> None:
    """Wait for the offer of our own consultation; decline anybody else's (a real resident must not wait)."""
    async with asyncio.timeout(timeout_s):
        while True:
            offer = await agent.wait_event("offer", timeout_s)
            if offer.get("consultation_id") == consultation_id:
                return
            with contextlib.suppress(PeerError):
                await agent.call("offer.decline", {"consultation_id": offer.get("consultation_id")})


async def _clean_up_failed_call(booth: BoothPeer, agent: AgentPeer, consultation_id: str | None) -> None:
    """Best effort: leave no consultation hanging and the agent away, so the next call starts clean."""
    if consultation_id is None:
        return
    attempts = (
        (agent, "consultation.end", {"consultation_id": consultation_id}),
        (
            agent,
            "wrapup.submit",
            {"consultation_id": consultation_id, "disposition": "dropped", "note": "probe failed"},
        ),
        (booth, "consultation.cancel", {"consultation_id": consultation_id}),
        (agent, "agent.status", {"status": "away"}),
    )
    for peer, event, payload in attempts:
        if peer.sio.connected:
            with contextlib.suppress(PeerError, ProtocolError):
                await peer.call(event, payload, timeout_s=3.0)


async def warm_up_media() -> None:
    """Make one direct call in this process and throw its result away.

    The first call a Python process makes pays one-off costs (lazy imports, codec libraries, the first
    certificate, interface enumeration) worth tens of milliseconds.  Those belong to the probe process, not to
    the deployment being measured, so they are paid before the first measured call.
    """
    await run_direct_call(timeout_s=10.0)


async def run_probe(
    target: ProbeTarget,
    count: int,
    *,
    timeout_s: float = 15.0,
    hold_s: float = 0.5,
    compare_direct: bool = False,
) -> AsyncIterator[CallResult]:
    """Log the agent in once, warm up, then run ``count`` calls one after another.

    With ``compare_direct`` each call is paired with a direct call in this process (alternately before and
    after it), reported in :attr:`CallResult.direct`: that tells a slow deployment from a slow probe machine.
    """
    try:
        cookie = await login_agent(target.agent_server, target.agent_user, target.agent_password, timeout_s)
    except PeerError as exc:
        for _ in range(count):
            yield CallResult(error=f"logging in: {exc}")
        return
    await warm_up_media()
    for index in range(count):
        reference = None
        if compare_direct and index % 2 == 0:
            reference = await run_direct_call(timeout_s=timeout_s)
        result = await run_server_call(target, cookie, timeout_s=timeout_s, hold_s=hold_s)
        if compare_direct and reference is None:
            reference = await run_direct_call(timeout_s=timeout_s)
        if reference is not None:
            result.direct = {
                "signaling_ms": reference.signaling_ms,
                "connected_ms": reference.connected_ms,
                "first_frame_ms": reference.first_frame_ms,
            }
        yield result
