"""The server's echo peer for the booths' self-test call (``selftest.echo``): it answers the kiosk's offer and
sends back what it receives, so the kiosk measures the whole path to the server and back without a person.

What comes back: the kiosk's audio (a tone the self-test makes, never the room's microphone), decoded and sent
again as a new track, and every message on its data channels, as it came (the kiosk times its pings on an
unordered channel without retransmissions, so a lost ping is a lost packet). Video is not echoed: re-encoding it
in Python costs a core, and the call's video path is the audio path's.

Why bounded: each echo call holds a connection, its UDP ports and a codec in the server process. At most
:data:`MAX_ECHOES` run at once (``busy`` beyond that), one per booth (a new one replaces the booth's last), and
each is closed after :data:`ECHO_LIFETIME_S` whatever happens. No TURN on this side: the kiosk's relay candidate
reaches the server's host candidates through the town's TURN server, as a closed network requires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from madoguchi.signaling.counter import CounterError

log = logging.getLogger(__name__)

MAX_ECHOES = 4
ECHO_LIFETIME_S = 20.0


class EchoPeers:
    """The running echo calls of this process, by booth."""

    def __init__(self, *, max_echoes: int = MAX_ECHOES, lifetime_s: float = ECHO_LIFETIME_S) -> None:
        self._max = max_echoes
        self._lifetime_s = lifetime_s
        self._calls: dict[str, Any] = {}  # owner -> RTCPeerConnection
        self._closers: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        return len(self._calls)

    async def answer(self, owner: str, offer_sdp: str) -> str:
        """Answer the kiosk's offer (all its candidates in it) and echo for a while; ``busy`` when full."""
        from aiortc import RTCPeerConnection, RTCSessionDescription
        from aiortc.contrib.media import MediaRelay

        await self._close(owner)
        if len(self._calls) >= self._max:
            raise CounterError("busy", "too many self-test calls at once; try again in a minute")
        pc = RTCPeerConnection()
        self._calls[owner] = pc
        relay = MediaRelay()

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "audio":
                pc.addTrack(relay.subscribe(track))

        @pc.on("datachannel")
        def on_datachannel(channel: Any) -> None:
            def on_message(message: Any) -> None:
                if channel.readyState == "open":
                    channel.send(message)

            channel.on("message", on_message)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close(owner, pc)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            if not pc.getTransceivers() and pc.sctp is None:
                raise ValueError("it carries neither audio nor a data channel")
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:  # a malformed offer: refuse it, keep nothing
            await self._close(owner, pc)
            raise CounterError("unusable_offer", f"not an offer the echo peer can answer: {exc}"[:200]) from exc
        closer = asyncio.create_task(self._close_later(owner, pc), name=f"echo-{owner}")
        self._closers.add(closer)
        closer.add_done_callback(self._closers.discard)
        return str(pc.localDescription.sdp)

    async def _close_later(self, owner: str, pc: Any) -> None:
        await asyncio.sleep(self._lifetime_s)
        await self._close(owner, pc)

    async def _close(self, owner: str, pc: Any = None) -> None:
        """Close ``owner``'s echo call (only ``pc`` when given: a newer call of the same booth stays)."""
        current = self._calls.get(owner)
        if current is None or (pc is not None and current is not pc):
            if pc is not None:
                with contextlib.suppress(Exception):
                    await pc.close()
            return
        del self._calls[owner]
        with contextlib.suppress(Exception):
            await current.close()

    async def close(self) -> None:
        """Close every echo call (the app's shutdown)."""
        for task in list(self._closers):
            task.cancel()
        for owner in list(self._calls):
            await self._close(owner)
