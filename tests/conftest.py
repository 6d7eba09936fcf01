from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import LiveServer, serve_topology


@pytest.fixture
async def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """One app on SQLite by default; modules marked with ``on_both_topologies`` also get two processes."""
    topology = getattr(request, "param", "one")
    async with serve_topology(topology, tmp_path) as server:
        yield server
