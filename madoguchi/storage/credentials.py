"""What the database says, right now, about the credentials that open sockets were let in with.

Why a poll and not only a message: a credential is ended in the database by whoever ends it — the web process
that handles ``POST /logout`` or a password change, or the ``madoguchi`` CLI in a process of its own, with or
without Redis. Each server process asks here, about every half second, for the few credentials its own sockets
hold (one indexed query per kind), so every process notices every ending within a second whatever ended it, and
nothing has to remember to announce it. See :mod:`madoguchi.signaling.revocation`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select

from madoguchi.storage.db import Database
from madoguchi.storage.models import Booth, Staff, WebSession

CHUNK = 500
"""Credentials asked about per query (keeps the ``IN`` list well inside every database's limit)."""


def _chunks(values: Collection[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i : i + CHUNK] for i in range(0, len(ordered), CHUNK)]


class Credentials:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def session_expiry(self, token_hashes: Collection[str]) -> dict[str, datetime]:
        """Each stored session among ``token_hashes`` and when it expires (a missing one was ended)."""
        found: dict[str, datetime] = {}
        async with self._db.read() as session:
            for chunk in _chunks(token_hashes):
                rows = await session.execute(
                    select(WebSession.token_hash, WebSession.expires_at).where(WebSession.token_hash.in_(chunk))
                )
                found.update({token_hash: expires for token_hash, expires in rows})
        return found

    async def disabled_staff(self, staff_ids: Collection[str]) -> set[str]:
        """Those of ``staff_ids`` whose account is disabled or gone."""
        present: dict[str, bool] = {}
        async with self._db.read() as session:
            for chunk in _chunks(staff_ids):
                rows = await session.execute(select(Staff.id, Staff.disabled).where(Staff.id.in_(chunk)))
                present.update({staff_id: disabled for staff_id, disabled in rows})
        return {staff_id for staff_id in staff_ids if present.get(staff_id, True)}

    async def booth_tokens(self, booth_ids: Collection[str]) -> dict[str, str | None]:
        """Each booth's current token hash; None for a revoked booth (a missing booth was deleted)."""
        found: dict[str, str | None] = {}
        async with self._db.read() as session:
            for chunk in _chunks(booth_ids):
                rows = await session.execute(
                    select(Booth.id, Booth.token_hash, Booth.revoked_at).where(Booth.id.in_(chunk))
                )
                found.update({booth_id: None if revoked else token for booth_id, token, revoked in rows})
        return found
