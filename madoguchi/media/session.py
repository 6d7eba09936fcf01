"""One side of a call's media: an aiortc RTCPeerConnection, our synthetic tracks, and what we received.

This is transport-agnostic: it hands outgoing ``signal`` payloads (the ``description`` / ``candidate`` part
of the protocol's ``signal`` event) to a callback and takes incoming ones through
:meth:`MediaSession.handle_signal`.
The Socket.IO peers in :mod:`madoguchi.media.peer` and the in-process direct call in
:mod:`madoguchi.media.probe` both drive it, so the server path and the reference path do exactly the same
media work and their timings compare honestly.

aiortc facts this is built around:

* It does not trickle ICE: ``setLocalDescription`` gathers every candidate before it returns, and we send
  that complete SDP once.  Browsers do trickle, so incoming ``candidate`` signals are applied (queued until a
  remote description exists).
* ``iceServers`` is always passed explicitly (an empty list means none; aiortc's own default is a public STUN
  server, which a closed municipal network cannot reach).
* It cannot roll back a local offer, and it has no ICE restart.  Perfect negotiation therefore becomes: the
  impolite side ignores a colliding offer; the polite side *rebuilds* its connection and answers; an offer
  with new ICE credentials (a restart from the other side) also rebuilds the connection.
* After a dropped signaling link the call continues on a new connection (:meth:`MediaSession.restart`), never
  on the old one: the other side rebuilt too, or will, and aiortc cannot restart ICE on the old one.
* ``relay_only`` is the browser's ``iceTransportPolicy: "relay"``: only TURN candidates are gathered, so a call
  that connects has proved the TURN path (the probe's ``--relay-only``).  aiortc uses the *first* usable TURN
  URL of the list only (one server, one transport), unlike a browser, which tries them all.
* Remote tracks must always be consumed, or their queues grow without bound: every remote track gets a task
  that reads it to the end and records the first frame time and the frame count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

from madoguchi.media.sources import PatternVideoTrack, ToneAudioTrack, read_frame_counter

logger = logging.getLogger(__name__)

SignalSender = Callable[[dict[str, Any]], Awaitable[None]]
Clock = Callable[[], float]


class MediaError(Exception):
    """A call's media could not be set up or failed; the message says what happened."""


@dataclass
class ReceivedTrack:
    """What arrived on one remote track."""

    kind: str
    frames: int = 0
    first_frame_at: float | None = None
    width: int | None = None
    height: int | None = None
    last_counter: int | None = None
    counters_in_order: bool = True


@dataclass
class MediaTimes:
    """Moments (on the session's clock) that the call's measurements are made of."""

    remote_description_at: float | None = None
    connected_at: float | None = None
    first_frame_at: dict[str, float] = field(default_factory=dict)


def ice_servers_from_protocol(servers: Sequence[dict[str, Any]]) -> list[RTCIceServer]:
    """Turn ``call.start``'s ``ice_servers`` (browser RTCIceServer dicts) into aiortc objects."""
    result = []
    for server in servers:
        urls = server.get("urls")
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise MediaError(f"ice server without usable urls: {server!r}")
        result.append(RTCIceServer(urls=urls, username=server.get("username"), credential=server.get("credential")))
    return result


def _ice_ufrag(sdp: str) -> str | None:
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            return line.split(":", 1)[1].strip()
    return None


class MediaSession:
    """Our end of one call.  Create it when ``call.start`` arrives, :meth:`start` it, feed it signals."""

    def __init__(
        self,
        *,
        polite: bool,
        ice_servers: Sequence[RTCIceServer],
        send_signal: SignalSender,
        clock: Clock = time.perf_counter,
        read_counters: bool = True,
        relay_only: bool = False,
    ) -> None:
        self.polite = polite
        self.relay_only = relay_only
        self._ice_servers = list(ice_servers)
        self._send_signal = send_signal
        self._clock = clock
        self._read_counters = read_counters
        self.audio: ToneAudioTrack
        self.video: PatternVideoTrack
        self.received: dict[str, ReceivedTrack] = {}
        self.times = MediaTimes()
        self._lock = asyncio.Lock()
        self._making_offer = False
        self._pending_candidates: list[dict[str, Any]] = []
        self._consumers: set[asyncio.Task[None]] = set()
        self._connected = asyncio.Event()
        self._failed = asyncio.Event()
        self._described = asyncio.Event()  # the current connection has a remote description
        self._closed = False
        self._frame_arrived = asyncio.Event()
        self._frame_events: dict[str, asyncio.Event] = {"audio": asyncio.Event(), "video": asyncio.Event()}
        self._remote_ufrag: str | None = None
        self.rebuilds = 0
        self.pc = self._build_connection()

    # -- connection --------------------------------------------------------------------------------------

    def _build_connection(self) -> RTCPeerConnection:
        policy = RTCIceTransportPolicy.RELAY if self.relay_only else RTCIceTransportPolicy.ALL
        pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice_servers), iceTransportPolicy=policy))
        # Fresh tracks for every connection: an aiortc sender stops its track when the connection closes.
        self.audio = ToneAudioTrack()
        self.video = PatternVideoTrack()
        pc.addTrack(self.audio)
        pc.addTrack(self.video)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            task = asyncio.ensure_future(self._consume(track))
            self._consumers.add(task)
            task.add_done_callback(self._consumers.discard)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc is not self.pc:
                return
            state = pc.connectionState
            logger.debug("connection state %s (polite=%s)", state, self.polite)
            if state == "connected":
                if self.times.connected_at is None:
                    self.times.connected_at = self._clock()
                self._connected.set()
            elif state == "failed":
                self._failed.set()

        return pc

    async def _rebuild(self) -> None:
        """Replace the connection (aiortc can neither roll back nor restart ICE)."""
        old = self.pc
        self.rebuilds += 1
        self._connected.clear()
        self._failed.clear()
        self._described.clear()
        self._remote_ufrag = None
        self._pending_candidates.clear()
        self.pc = self._build_connection()
        await old.close()

    async def _consume(self, track: MediaStreamTrack) -> None:
        record = self.received.setdefault(track.kind, ReceivedTrack(kind=track.kind))
        record.last_counter = None  # a new remote track (after a rebuild) counts from its own start
        checked = 0
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if record.first_frame_at is None:
                record.first_frame_at = self._clock()
                self.times.first_frame_at.setdefault(track.kind, record.first_frame_at)
                event = self._frame_events.get(track.kind)
                if event is not None:
                    event.set()
            record.frames += 1
            self._frame_arrived.set()
            if isinstance(frame, VideoFrame):
                record.width = frame.width
                record.height = frame.height
                if self._read_counters and checked < 30:
                    checked += 1
                    counter = read_frame_counter(frame)
                    if record.last_counter is not None and counter <= record.last_counter:
                        record.counters_in_order = False
                    record.last_counter = counter

    # -- negotiation ---------------------------------------------------------------------------------------

    async def negotiate(self) -> None:
        """Make and send an offer (with every candidate in it)."""
        async with self._lock:
            if self._closed:
                return
            self._making_offer = True
            try:
                await self.pc.setLocalDescription(await self.pc.createOffer())
                description = self.pc.localDescription
            finally:
                self._making_offer = False
        await self._send_signal({"description": {"type": description.type, "sdp": description.sdp}})

    async def restart(self) -> None:
        """Start the media over on a new connection (a failed one, or after a signaling link came back):
        rebuild it; the impolite side then offers again, the polite side waits for that offer."""
        async with self._lock:
            if self._closed:
                return
            await self._rebuild()
        if not self.polite:
            await self.negotiate()

    async def handle_signal(self, signal: dict[str, Any]) -> None:
        """Apply a relayed ``signal`` payload: a ``description`` or a ``candidate``."""
        if self._closed:
            return
        description = signal.get("description")
        candidate = signal.get("candidate")
        if description is not None:
            await self._handle_description(description)
        elif "candidate" in signal:
            await self._handle_candidate(candidate)
        else:
            raise MediaError("signal carries neither a description nor a candidate")

    async def _handle_description(self, description: dict[str, Any]) -> None:
        kind = description.get("type")
        sdp = description.get("sdp")
        if kind == "rollback":
            return  # the other side undid its own offer; we never applied anything for it
        if kind not in ("offer", "answer") or not isinstance(sdp, str):
            raise MediaError(f"unusable description of type {kind!r}")
        answer = None
        async with self._lock:
            if self._closed:
                return
            if kind == "offer":
                collision = self._making_offer or self.pc.signalingState != "stable"
                if collision and not self.polite:
                    logger.debug("impolite side ignores a colliding offer")
                    return
                ufrag = _ice_ufrag(sdp)
                restart = self._remote_ufrag is not None and ufrag != self._remote_ufrag
                if collision or restart:
                    await self._rebuild()
            elif self.pc.signalingState != "have-local-offer":
                logger.debug("ignoring an answer in signaling state %s", self.pc.signalingState)
                return
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=kind))
            self._remote_ufrag = _ice_ufrag(sdp)
            self._described.set()
            if self.times.remote_description_at is None:
                self.times.remote_description_at = self._clock()
            for pending in self._pending_candidates:
                await self._add_candidate(pending)
            self._pending_candidates.clear()
            if kind == "offer":
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                answer = self.pc.localDescription
        if answer is not None:
            await self._send_signal({"description": {"type": answer.type, "sdp": answer.sdp}})

    async def _handle_candidate(self, candidate: dict[str, Any] | None) -> None:
        async with self._lock:
            if self.pc.remoteDescription is None:
                self._pending_candidates.append(candidate or {})
                return
            await self._add_candidate(candidate or {})

    async def _add_candidate(self, candidate: dict[str, Any]) -> None:
        line = candidate.get("candidate") or ""
        if not line:
            await self.pc.addIceCandidate(None)  # end of candidates
            return
        if line.startswith("candidate:"):
            line = line[len("candidate:") :]
        try:
            parsed = candidate_from_sdp(line)
        except (AssertionError, ValueError, IndexError) as exc:
            raise MediaError(f"unparsable ICE candidate {line!r}") from exc
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
            parsed.sdpMLineIndex = 0
        await self.pc.addIceCandidate(parsed)

    # -- waiting -------------------------------------------------------------------------------------------

    def has_remote_description(self) -> bool:
        return self._described.is_set()

    def is_connected(self) -> bool:
        return self._connected.is_set()

    async def wait_remote_description(self, timeout_s: float) -> None:
        """Wait until the current connection has the other side's description."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._described.wait()
        except TimeoutError:
            raise MediaError(f"no description from the other side within {timeout_s:g} s") from None

    async def wait_connected(self, timeout_s: float) -> None:
        connected = asyncio.ensure_future(self._connected.wait())
        failed = asyncio.ensure_future(self._failed.wait())
        try:
            await asyncio.wait({connected, failed}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
            failed.cancel()
        if self._connected.is_set():
            return
        if self._failed.is_set():
            raise MediaError("the media connection failed (ICE or DTLS)")
        raise MediaError(f"the media connection did not connect within {timeout_s:g} s")

    async def wait_first_frames(self, kinds: Sequence[str], timeout_s: float) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                for kind in kinds:
                    await self._frame_events[kind].wait()
        except TimeoutError:
            missing = [kind for kind in kinds if not self._frame_events[kind].is_set()]
            raise MediaError(f"no {' or '.join(missing)} frame arrived within {timeout_s:g} s") from None

    async def wait_frames(self, kind: str, at_least: int, timeout_s: float) -> None:
        """Wait until ``at_least`` frames of ``kind`` have arrived in total (across rebuilt connections)."""
        try:
            async with asyncio.timeout(timeout_s):
                while self.frame_counts()[kind] < at_least:
                    self._frame_arrived.clear()
                    await self._frame_arrived.wait()
        except TimeoutError:
            got = self.frame_counts()[kind]
            raise MediaError(f"only {got} of {at_least} {kind} frames arrived within {timeout_s:g} s") from None

    def selected_candidate_types(self) -> tuple[str, str] | None:
        """(local, remote) candidate types of the pair ICE nominated (``host``/``srflx``/``relay``), or None.

        aiortc exposes no candidate-pair stats, so this reads aioice's nominated pair behind the DTLS transport;
        any change there shows up as None ("not known"), never as a wrong answer.
        """
        for transceiver in self.pc.getTransceivers():
            ice = getattr(transceiver.sender.transport, "transport", None)
            nominated = getattr(getattr(ice, "_connection", None), "_nominated", None)
            if isinstance(nominated, dict) and nominated:
                pair = next(iter(nominated.values()))
                local = getattr(getattr(pair, "local_candidate", None), "type", None)
                remote = getattr(getattr(pair, "remote_candidate", None), "type", None)
                if isinstance(local, str) and isinstance(remote, str):
                    return local, remote
        return None

    def frame_counts(self) -> dict[str, int]:
        return {kind: self.received[kind].frames if kind in self.received else 0 for kind in ("audio", "video")}

    # -- shutdown ------------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection, stop our tracks and wait for the consumers to finish."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self.pc.close()
        self.audio.stop()
        self.video.stop()
        consumers = list(self._consumers)
        for task in consumers:
            task.cancel()
        for task in consumers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
