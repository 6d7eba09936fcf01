"""The current call's media on one signaling connection: ``call.start`` makes a media session, signals are
applied in arrival order, and after a reconnect the call is resumed on a fresh connection with a watchdog.

Why a separate part: this is the one job of the peer that touches aiortc (through
:class:`~madoguchi.media.session.MediaSession`); the connection, the inbox and the chat log around it do not.
:class:`CallMedia` is mixed into :class:`~madoguchi.media.peer.SignalingPeer`, which owns the state it names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from madoguchi.media.connection import PeerError
from madoguchi.media.session import Clock, MediaError, MediaSession, ice_servers_from_protocol

logger = logging.getLogger(__name__)

# After a resume the media must connect within this long, or the connection is rebuilt again (bounded).
RESUME_CONNECT_TIMEOUT_S = 8.0
MAX_RESUME_RETRIES = 3
# The polite side waits this long for the impolite side's fresh offer after its own reconnect, then offers.
POLITE_RESUME_OFFER_WAIT_S = 3.0


def step_name(event: str, payload: dict[str, Any]) -> str:
    """``call_start``, ``offer``, ``answer``, ``candidate``, ``call_end``: what a media event carries."""
    if event == "signal":
        description = payload.get("description")
        if isinstance(description, dict):
            return str(description.get("type", "description"))
        return "candidate"
    return event.replace(".", "_")


class CallMedia:
    """The media half of a signaling peer: one task applies media events in order (see the peer's docstring)."""

    namespace: str
    clock: Clock
    relay_only: bool
    session: MediaSession | None
    consultation_id: str | None
    call_started_at: float | None
    media_errors: list[str]
    marks: dict[str, float]
    resumes: int
    _media_queue: asyncio.Queue[tuple[str, dict[str, Any]]]
    _session_ready: asyncio.Event
    _connected: asyncio.Event
    _disconnected: asyncio.Event
    _watchdog: asyncio.Task[None] | None

    async def call(self, event: str, payload: dict[str, Any], timeout_s: float = 10.0) -> dict[str, Any]:
        raise NotImplementedError  # the peer's Socket.IO call

    async def _run_media(self) -> None:
        while True:
            name, data = await self._media_queue.get()
            try:
                await self._handle_media_event(name, data)
            except (MediaError, PeerError, ValueError) as exc:
                logger.warning("%s: %s failed: %s", self.namespace, name, exc)
                self.media_errors.append(f"{name}: {exc}")

    async def _handle_media_event(self, name: str, data: dict[str, Any]) -> None:
        consultation_id = data.get("consultation_id")
        if name == "resume":
            await self._resume_from_state(data)
        elif name == "peer.link":
            session = self.session
            if (
                data.get("connected") is True
                and session is not None
                and not session.polite
                and consultation_id == self.consultation_id
            ):
                # The other side's link is back and it rebuilt its connection: offer on a fresh one.
                await self._rebuild_media(session)
        elif name == "call.start":
            await self._start_call(data)
        elif name == "signal":
            if self.session is None or consultation_id != self.consultation_id:
                logger.debug("signal for %s without a matching call, ignored", consultation_id)
                return
            await self.session.handle_signal(data)
        elif name == "call.end" and self.session is not None and consultation_id == self.consultation_id:
            await self.session.close()

    async def _start_call(self, data: dict[str, Any]) -> None:
        if self.session is not None:
            await self.session.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.consultation_id = str(data.get("consultation_id"))
        self.call_started_at = self.clock()
        polite = bool(data.get("polite", True))
        self.session = MediaSession(
            polite=polite,
            ice_servers=ice_servers_from_protocol(data.get("ice_servers") or []),
            send_signal=self._send_signal,
            clock=self.clock,
            relay_only=self.relay_only,
        )
        self._session_ready.set()
        if not polite:
            await self.session.negotiate()

    async def _resume_from_state(self, state: dict[str, Any]) -> None:
        """The first state event after a reconnect: carry on with the call it names, or drop a finished one."""
        view = state.get("consultation")
        call = view.get("call") if isinstance(view, dict) else None
        active = isinstance(view, dict) and view.get("state") == "active" and isinstance(call, dict)
        if not active or not isinstance(call, dict) or call.get("media") is False:
            if self.session is not None and not active:
                logger.info("%s: the call ended while the link was down", self.namespace)
                await self.end_media()
            return
        if self.session is None or call.get("consultation_id") != self.consultation_id:
            await self._start_call(call)  # e.g. a new peer object, or the call began while we were away
            return
        await self._rebuild_media(self.session)

    async def _rebuild_media(self, session: MediaSession) -> None:
        """A fresh RTCPeerConnection for the same call (aiortc has no ICE restart); the impolite side offers.

        A watchdog rebuilds again (a bounded number of times) if the media does not connect: an offer sent while
        the other side's link was still down reached nobody.
        """
        self.resumes += 1
        await session.restart()
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = asyncio.ensure_future(self._watch_resumed(session))

    async def _watch_resumed(self, session: MediaSession) -> None:
        for retry in range(MAX_RESUME_RETRIES + 1):
            try:
                if session.polite:
                    # Give the impolite side's fresh offer time to come; if none did, offer ourselves.
                    with contextlib.suppress(MediaError):
                        await session.wait_remote_description(POLITE_RESUME_OFFER_WAIT_S)
                    if not session.has_remote_description():
                        await session.negotiate()
                await session.wait_connected(RESUME_CONNECT_TIMEOUT_S)
                return
            except (MediaError, PeerError) as exc:
                if session is not self.session or retry == MAX_RESUME_RETRIES:
                    self.media_errors.append(f"resume: {exc}")
                    return
                logger.warning("%s: media did not come back (%s); rebuilding again", self.namespace, exc)
                self.resumes += 1
                await session.restart()

    def _mark(self, step: str) -> None:
        self.marks.setdefault(step, self.clock())

    async def _send_signal(self, payload: dict[str, Any]) -> None:
        if self.consultation_id is None:
            raise MediaError("no call to signal for")
        if not self._connected.is_set() and not self._disconnected.is_set():
            # The link is down and coming back: the resume after it negotiates afresh, so this one can go.
            logger.info("%s: link down, %s not sent", self.namespace, step_name("signal", payload))
            return
        self._mark(step_name("signal", payload) + "_sent")
        await self.call("signal", {"consultation_id": self.consultation_id, **payload})

    async def wait_session(self, timeout_s: float) -> MediaSession:
        """The media session of the call that ``call.start`` began."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._session_ready.wait()
        except TimeoutError:
            raise PeerError(f"no call.start arrived within {timeout_s:g} s") from None
        assert self.session is not None
        return self.session

    async def end_media(self) -> None:
        """Close the current call's media (idempotent) and get ready for the next call."""
        session, self.session = self.session, None
        self._session_ready.clear()
        self.marks = {}
        if session is not None:
            await session.close()
