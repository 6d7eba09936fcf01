from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.links.coturn import TURNSERVER, Coturn, run_coturn
from tests.links.netns import BoothNetwork, booth_network, unavailable_reason


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    """A real coturn on 127.0.0.1 (free ports, TLS listener included), configured by `madoguchi turn config`."""
    if not Path(TURNSERVER).exists():
        pytest.fail("coturn is not installed (apt-get install coturn; scripts/test installs it as root)")
    with run_coturn(tmp_path / "coturn", tls=True) as server:
        yield server


@pytest.fixture
def booth_net() -> Iterator[BoothNetwork]:
    """A network namespace for the booth, joined to this host by a veth pair (root only; removed afterwards)."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with booth_network() as network:
        yield network
