"""Which failed writes the outbox sets aside (refused for good) and which it retries (the database away)."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from madoguchi.storage.errors import UnknownConsultation
from madoguchi.storage.refusals import refused_for_good


class DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


def dbapi(sqlstate: str | None, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("UPDATE ...", {}, DriverError(sqlstate), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        dbapi("22021"),  # invalid byte sequence (a NUL in text)
        dbapi("22P05"),  # unsupported Unicode escape sequence (a NUL in jsonb)
        dbapi("22001"),  # value too long
        dbapi("23505"),  # unique violation
        sa_exc.IntegrityError("INSERT ...", {}, DriverError(None)),
        sa_exc.DataError("INSERT ...", {}, DriverError(None)),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        UnknownConsultation("c1"),
        sa_exc.StatementError("could not serialise a parameter", "UPDATE ...", {}, TypeError("not JSON")),
    ],
)
def test_errors_about_the_values_are_refused_for_good(error: BaseException) -> None:
    assert refused_for_good(error)


@pytest.mark.parametrize(
    "error",
    [
        dbapi("08006"),  # connection failure
        dbapi("57P01"),  # admin shutdown (a failover)
        dbapi("40001"),  # serialization failure
        dbapi("53300"),  # too many connections
        dbapi(None),
        dbapi("22021", invalidated=True),  # the connection went away meanwhile
        sa_exc.OperationalError("UPDATE ...", {}, DriverError(None)),  # SQLite's "database is locked"
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        OSError("network unreachable"),
        sa_exc.StatementError("lost on the way", "UPDATE ...", {}, ConnectionResetError(104, "reset by peer")),
    ],
)
def test_errors_that_may_pass_later_are_retried(error: BaseException) -> None:
    assert not refused_for_good(error)
