"""Several processes started at the same moment on a fresh deployment all come up.

docs/operations.md promises this ("a PostgreSQL advisory lock serialises [the migrations], so starting them
together is also safe"): an orchestrator scaling a new deployment to N replicas starts them together.
"""

from __future__ import annotations

import pytest

from tests.faults.conftest import Deployment, http_status

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


async def test_processes_started_together_on_a_fresh_database_all_come_up(deployment: Deployment) -> None:
    servers = await deployment.start(3, together=True)
    for server in servers:
        assert server.running, server.log()
        assert await http_status(f"{server.url}/readyz") == 200
