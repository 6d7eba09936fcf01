"""Headless peers whose socket is cut for real come back where they were: the call's media and every chat line.

Why a TCP proxy: the booth's Socket.IO connection goes through a small proxy in this test that can abort its
connections (both ends, like a dropped link) and refuse new ones for a while (the outage). Nothing in the
client or the server is mocked; the media itself is peer to peer on loopback and does not pass the proxy, so
"media flows again" is only true if both sides really built and connected a new RTCPeerConnection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from madoguchi import keys
from madoguchi.media.connection import PeerError, ReconnectPolicy, login_agent
from madoguchi.media.peer import AgentPeer, BoothPeer, SignalingPeer
from tests.support import LiveServer, make_settings, serve

pytestmark = pytest.mark.media

PASSWORD = "reconnect-password-1"
CUT_S = 3.0
LINE_GAP_S = 0.08
QUICK = ReconnectPolicy(first_delay_s=0.1, max_delay_s=0.8, give_up_after_s=20.0, connect_timeout_s=3.0)


class CuttableProxy:
    """A loopback TCP proxy to the server whose connections can be aborted and whose door can be shut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.blocked = False
        self.links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self.refused = 0
        self.cut_on: tuple[bytes, ...] | None = None
        """When set: the first chunk from the server containing all these bytes is not delivered; instead every
        connection is cut and the door shut (the server did its work, its answer is lost on the way)."""
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.blocked:
            self.refused += 1
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links.append((writer, up_writer))
        for source, sink, downstream in ((reader, up_writer, False), (up_reader, writer, True)):
            task = asyncio.ensure_future(self._pump(source, sink, downstream))
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, downstream: bool) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                if downstream and self.cut_on is not None and all(marker in data for marker in self.cut_on):
                    self.cut_on = None
                    self.blocked = True
                    self.cut()
                    return
                sink.write(data)
                await sink.drain()
        sink.transport.abort()

    def cut(self) -> int:
        """Abort every open connection at both ends (no goodbye, like a dropped link); returns how many."""
        links, self.links = self.links, []
        for client_side, server_side in links:
            client_side.transport.abort()
            server_side.transport.abort()
        return len(links)

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._pumps):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path, grace_period_s=15.0)) as live:
        yield live


@pytest.fixture
async def proxy(server: LiveServer) -> AsyncIterator[tuple[CuttableProxy, str]]:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None and parts.port is not None
    cuttable = CuttableProxy(parts.hostname, parts.port)
    url = await cuttable.start()
    try:
        yield cuttable, url
    finally:
        await cuttable.close()


async def wait_until(predicate: object, within_s: float, what: str) -> None:
    assert callable(predicate)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {within_s:g} s")
        await asyncio.sleep(0.05)


async def chatter(
    peer: SignalingPeer, consultation_id: str, prefix: str, stop: asyncio.Event, sends: dict[str, asyncio.Task[int]]
) -> None:
    """A line every LINE_GAP_S, each its own send (so several wait for their ack during a cut); at most 300."""
    for number in range(1, 301):
        if stop.is_set():
            return
        text = f"{prefix}{number:03d}"
        sends[text] = asyncio.ensure_future(peer.send_chat(consultation_id, text, timeout_s=30.0))
        await asyncio.sleep(LINE_GAP_S)


async def test_a_call_survives_the_booth_socket_being_cut_while_chat_flows(
    server: LiveServer, proxy: tuple[CuttableProxy, str]
) -> None:
    cuttable, proxy_url = proxy
    _booth_id, token, _ = await server.add_booth("回線断テストブース")
    await server.add_agent("reconnect-agent", PASSWORD)
    booth = BoothPeer(proxy_url, reconnect=QUICK)
    agent = AgentPeer(server.base_url, reconnect=QUICK)
    stop = asyncio.Event()
    sends: dict[str, asyncio.Task[int]] = {}
    talkers: list[asyncio.Task[None]] = []
    try:
        await booth.connect(token)
        await agent.connect(await login_agent(server.base_url, "reconnect-agent", PASSWORD))
        consultation_id = await booth.request_consultation("tax")
        await agent.set_status("available")
        offer = await agent.wait_event("offer", timeout_s=10)
        assert offer["consultation_id"] == consultation_id
        await agent.call("offer.accept", {"consultation_id": consultation_id})
        agent_media = await agent.wait_session(timeout_s=10)
        booth_media = await booth.wait_session(timeout_s=10)
        await asyncio.gather(agent_media.wait_connected(15), booth_media.wait_connected(15))
        await asyncio.gather(agent_media.wait_frames("video", 10, 15), booth_media.wait_frames("video", 10, 15))

        talkers = [
            asyncio.ensure_future(chatter(booth, consultation_id, "住民", stop, sends)),
            asyncio.ensure_future(chatter(agent, consultation_id, "職員", stop, sends)),
        ]
        await asyncio.sleep(1.0)

        # --- the booth's link drops and stays down for CUT_S while both keep typing. It drops right after the
        # server stored a booth line and sent its echo: the echo and the ack are lost on the way.
        cuttable.cut_on = (b"chat.message", b'"resident"')
        await wait_until(lambda: cuttable.blocked, 5, "the cut")
        sent_before = len([t for t in sends if t.startswith("住民")])
        lost = await agent.wait_event("peer.link", 10, lambda m: m.get("connected") is False)
        assert lost["consultation_id"] == consultation_id
        await asyncio.sleep(CUT_S)
        typed_during_cut = len([t for t in sends if t.startswith("住民")]) - sent_before
        cuttable.blocked = False

        await booth.wait_connected(15)
        back = await agent.wait_event("peer.link", 15, lambda m: m.get("connected") is True)
        assert back["consultation_id"] == consultation_id
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*talkers)
        seqs = dict(zip(sends, await asyncio.gather(*sends.values()), strict=True))

        assert booth.reconnects == 1
        assert cuttable.refused >= 1, "the booth tried to come back during the outage"
        assert typed_during_cut >= 10, f"only {typed_during_cut} booth lines were typed during the cut"

        # --- every line stored once, and each side has every line once, by seq
        assert len(set(seqs.values())) == len(seqs), "two lines got the same seq"
        records = await server.export_records()
        transcript = [line["text"] for line in records[0]["transcript"]]
        assert sorted(transcript) == sorted(seqs), "the record holds every line exactly once"
        for peer in (booth, agent):
            await wait_until(
                lambda p=peer: len(p.chat_lines(consultation_id)) >= len(seqs), 10, "all lines reaching a peer"
            )
            kept = {line["seq"]: line["text"] for line in peer.chat_lines(consultation_id)}
            assert kept == {seq: text for text, seq in seqs.items()}
            assert peer.last_seq(consultation_id) == max(seqs.values())

        # --- the media came back on new connections on both sides, and frames flow on them
        assert booth.resumes >= 1 and agent.resumes >= 1
        assert booth_media.rebuilds >= 1 and agent_media.rebuilds >= 1
        assert booth.session is booth_media and agent.session is agent_media
        await asyncio.gather(agent_media.wait_connected(15), booth_media.wait_connected(15))
        counts = {"agent": agent_media.frame_counts(), "booth": booth_media.frame_counts()}
        await asyncio.gather(
            agent_media.wait_frames("video", counts["agent"]["video"] + 20, 15),
            booth_media.wait_frames("video", counts["booth"]["video"] + 20, 15),
            agent_media.wait_frames("audio", counts["agent"]["audio"] + 20, 15),
            booth_media.wait_frames("audio", counts["booth"]["audio"] + 20, 15),
        )
        assert not booth.media_errors and not agent.media_errors, (booth.media_errors, agent.media_errors)
    finally:
        stop.set()
        for task in [*talkers, *sends.values()]:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await booth.close()
        await agent.close()


async def test_a_waiting_booth_fails_over_to_the_next_server_url_and_keeps_its_place(
    server: LiveServer, proxy: tuple[CuttableProxy, str]
) -> None:
    cuttable, proxy_url = proxy
    _first, first_token, _ = await server.add_booth("一番目のブース")
    _second, second_token, _ = await server.add_booth("二番目のブース")
    booth = BoothPeer([proxy_url, server.base_url], reconnect=QUICK)
    behind = BoothPeer(server.base_url, reconnect=QUICK)
    try:
        await booth.connect(first_token)
        consultation_id = await booth.request_consultation("tax")
        await behind.connect(second_token)
        await behind.request_consultation("tax")
        booth.drop_events("booth.state")

        cuttable.blocked = True  # this way in stays shut: the booth must use the other URL
        assert cuttable.cut() == 1
        state = await booth.wait_event("booth.state", timeout_s=15)
        await booth.wait_connected(5)

        assert booth.server == server.base_url
        assert booth.reconnects == 1
        view = state["consultation"]
        assert view["consultation_id"] == consultation_id
        assert view["state"] == "waiting"
        assert view["position"] == 1
    finally:
        await booth.close()
        await behind.close()


async def test_a_revoked_booth_stops_reconnecting_and_says_why(
    server: LiveServer, proxy: tuple[CuttableProxy, str]
) -> None:
    cuttable, proxy_url = proxy
    booth_id, token, _ = await server.add_booth("撤去されるブース")
    booth = BoothPeer(proxy_url, reconnect=QUICK)
    try:
        await booth.connect(token)
        await server.app[keys.BOOTHS].revoke(booth_id)
        assert cuttable.cut() == 1
        await wait_until(lambda: booth.link_errors, 10, "a refused reconnect attempt")

        with pytest.raises(PeerError, match="gave up"):
            await booth.wait_connected(10)
        assert booth.reconnects == 0
        assert any("refused" in error and "unauthorized" in error for error in booth.link_errors), booth.link_errors
    finally:
        await booth.close()
