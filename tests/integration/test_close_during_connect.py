"""A client that goes away while its connect handler still runs is not left connected for good (#13).

python-socketio drops a disconnect that arrives while the connect handler runs (the sid is still pending). The
handler used to register the connection anyway, nobody ever closed it, and the heartbeat restated it: a booth gone
mid-connect kept its link "up", so the grace period never started and its call never ended; the agent logging in
again landed back in that dead call. Real app, real Socket.IO client; the close is made to land inside the connect
handler every time by dropping the Engine.IO session there, as Engine.IO does on a close."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from madoguchi import keys
from madoguchi.app import SOCKETS
from tests.support import LiveServer, make_settings, serve


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path)) as live:
        yield live


async def test_a_booth_that_closes_during_its_connect_is_not_left_connected(server: LiveServer) -> None:
    booth_id, token, _ = await server.add_booth()
    service = server.app[keys.COUNTER]
    engine = server.app[SOCKETS].eio
    real = service.booth_connected

    async def closed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        state = await real(*args, **kwargs)  # the opening is written to the live state, as in real life
        # the kiosk's browser goes away right now: Engine.IO drops its session, as it does on a close (the
        # disconnect python-socketio would then drop is exactly what this test is about)
        for session in list(engine.sockets.values()):
            session.closed = True
        engine.sockets.clear()
        return state

    service.booth_connected = closed_meanwhile  # type: ignore[method-assign]
    client = socketio.AsyncClient(reconnection=False)
    with contextlib.suppress(Exception):
        await client.connect(server.base_url, namespaces=["/booth"], auth={"token": token}, wait_timeout=1)
    await client.disconnect()
    state = (await service._store.read()).state
    assert f"booth:{booth_id}" not in state.connections, state.connections
