"""A failed statement's error names no parameter (session 9's outside attack: a call-back's phone, kept unmasked on
purpose, would be in the log line and traceback of any failed write that carried it)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from madoguchi.storage.db import open_database

PHONE = "090-1234-5678"


async def test_a_failed_statement_does_not_show_its_parameters(database_url: str) -> None:
    db = await open_database(database_url)
    try:
        with pytest.raises(DBAPIError) as raised:
            async with db.engine.connect() as connection:
                await connection.execute(
                    text("SELECT phone FROM callback_requests_nowhere WHERE phone = :p"), {"p": PHONE}
                )
        assert "callback_requests_nowhere" in str(raised.value), "the statement is still named"
        assert PHONE not in str(raised.value) and "hidden due to hide_parameters" in str(raised.value)
    finally:
        await db.close()
