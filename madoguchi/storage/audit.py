"""The audit log: who did what to accounts, booths and records, append-only.

Kept apart from consultation events because it answers a different question ("who changed or looked at what")
and is written by admin actions (CLI, admin pages, exports), not by the call flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from madoguchi.storage.db import Database
from madoguchi.storage.errors import InvalidValue
from madoguchi.storage.models import AuditEntry
from madoguchi.storage.record_values import json_data


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def write(self, actor: str, action: str, detail: Mapping[str, Any], at: datetime) -> None:
        """Append one entry; ``actor`` is e.g. ``"cli"``, ``"staff:u_1234"``; ``action`` e.g. ``"booth.add"``."""
        if not actor or not action:
            raise InvalidValue("an audit entry needs an actor and an action")
        async with self._db.transaction() as session:
            session.add(AuditEntry(at=at, actor=actor, action=action, detail=json_data(dict(detail))))

    async def recent(self, limit: int = 100) -> list[AuditRecord]:
        """The newest entries first."""
        async with self._db.read() as session:
            rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))).all()
        return [AuditRecord(row.id, row.at, row.actor, row.action, dict(row.detail)) for row in rows]
