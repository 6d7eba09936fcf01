"""Which failed writes are refused for good (the values) and which may pass later (the database was away).

The records' outbox (:mod:`madoguchi.signaling.outbox`) retries a record the database could not take, in order,
until it can; a record the database refuses for its values would be refused for ever and block every record behind
it (a NUL in a question, session 11). This module tells the two apart; apart from :mod:`madoguchi.storage.errors`
because it needs SQLAlchemy's exception types, which the pure core (it imports the errors) must not load.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

from madoguchi.storage.errors import StorageError

DATA_ERROR_CLASSES = ("22", "23")
"""SQLSTATE classes of a refusal that is about the values themselves: 22 data exception (a NUL, a value too long,
invalid text), 23 integrity constraint violation. Writing the same values again gets the same answer."""


def refused_for_good(exc: BaseException) -> bool:
    """Whether the database (or its driver) refused a write for its values, so retrying it can never succeed:
    a :class:`StorageError`, a data or constraint error, text the driver cannot even encode. False for everything
    that may pass later (a connection lost or refused, a timeout, a failover, a lock): the caller retries those."""
    if isinstance(exc, StorageError | UnicodeError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return False
        if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(code, str) and code[:2] in DATA_ERROR_CLASSES
    # Raised while SQLAlchemy built the statement from the values (not by the database): the same every time;
    # unless what it wraps is the network's (a connection lost on the way).
    return isinstance(exc, sa_exc.StatementError) and not isinstance(exc.orig, OSError)
