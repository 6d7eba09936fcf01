"""The live state moves before the record is written, so a database restart or failover must not cost a record:
connections the server holds are cut, and the next operation is still recorded (the pool checks connections
before use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

from madoguchi.storage.testing import temporary_database_url
from tests.support import booth_peer, make_settings, serve

pytestmark = pytest.mark.postgres


async def _backends(admin: asyncpg.Connection) -> set[int]:
    rows = await admin.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = 'test' AND backend_type = 'client backend' "
        "AND pid <> pg_backend_pid()"
    )
    return {row["pid"] for row in rows}


async def test_records_survive_a_dropped_database_connection(tmp_path: Path) -> None:
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    async with temporary_database_url("postgresql", tmp_path) as url:
        not_ours = await _backends(admin)  # other tests' and the schema helper's connections stay up
        async with serve(make_settings(tmp_path, database_url=url)) as server:
            _, token, _ = await server.add_booth()
            booth = await booth_peer(server, token)
            first: Any = await booth.call("consultation.request", {"route": "tax"})
            assert first["ok"] is True
            await booth.call("consultation.cancel", {"consultation_id": first["consultation_id"]})

            # A PostgreSQL failover or restart: every connection the server holds is cut.
            servers = await _backends(admin) - not_ours
            assert servers
            for pid in servers:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)

            second: Any = await booth.call("consultation.request", {"route": "tax"})
            assert second["ok"] is True, second
            records = {r["consultation_id"]: r for r in await server.export_records()}
            assert records[second["consultation_id"]]["state"] == "waiting"
            assert records[first["consultation_id"]]["state"] == "abandoned"
            await booth.close()
    await admin.close()
