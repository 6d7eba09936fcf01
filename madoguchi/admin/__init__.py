"""The admin CLI (``user``, ``booth``, ``municipality``, ``place``, ``records``, ``db``, ``hours``, ``reports``): one
module per group.

The commands sit above ``storage`` (they use it, it knows nothing of them) and work before the server ever ran
and while it runs. Secrets (passwords, booth tokens) are only ever read from stdin or printed once.
"""

from __future__ import annotations

from typing import Any

from madoguchi.admin import booths, database, hours, municipalities, records, users
from madoguchi.admin.common import UsageError, parse_languages, parse_routes, parse_time


def register(subparsers: Any) -> None:
    """Add ``user``, ``booth``, ``municipality``, ``place``, ``records``, ``db``, ``hours`` and ``reports``."""
    for group in (users, booths, municipalities, records, database, hours):
        group.register(subparsers)


__all__ = ["UsageError", "parse_languages", "parse_routes", "parse_time", "register"]
