from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.links.coturn import TURNSERVER, Coturn, run_coturn


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    """A real coturn on 127.0.0.1 (free ports, TLS listener included), configured by `madoguchi turn config`."""
    if not Path(TURNSERVER).exists():
        pytest.fail("coturn is not installed (apt-get install coturn; scripts/test installs it as root)")
    with run_coturn(tmp_path / "coturn", tls=True) as server:
        yield server
