from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import TOPOLOGIES, LiveServer, serve_topology
from tests.trained_model import TrainedModel


@pytest.fixture
async def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """One app on SQLite by default; tests marked with ``on_both_topologies`` also get two processes."""
    wanted = getattr(request, "param", "one")
    [topology] = [t for t in TOPOLOGIES if t == wanted]
    async with serve_topology(topology, tmp_path) as server:
        yield server


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """The real triage model of the bundled town, trained at most once a session (see tests/trained_model.py)."""
    return TrainedModel.build(tmp_path_factory.mktemp("triage-model"))
