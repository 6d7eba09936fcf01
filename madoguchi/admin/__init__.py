"""The admin CLI (``user``, ``booth``, ``municipality``, ``place``, ``records``, ``db``, ``hours``, ``reports``): one
module per group.

The commands sit above ``storage`` (they use it, it knows nothing of them) and work before the server ever ran
and while it runs. Secrets (passwords, booth tokens) are only ever read from stdin or printed once.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from madoguchi.admin.common import UsageError, parse_languages, parse_routes, parse_time

GROUPS: Final = {
    "user": "users",
    "booth": "booths",
    "municipality": "municipalities",
    "place": "municipalities",
    "records": "records",
    "db": "database",
    "hours": "hours",
}
"""Each top-level command and the module of this package that adds it (imported only when needed: cli.py)."""


def register(subparsers: Any, *, only: str | None = None) -> None:
    """Add ``user``, ``booth``, ``municipality``, ``place``, ``records``, ``db`` and ``hours``; with ``only`` (one
    of :data:`GROUPS`), just the module owning that command (the others are not even imported)."""
    modules = dict.fromkeys(GROUPS.values()) if only is None else {GROUPS[only]: None}
    for module in modules:
        importlib.import_module(f"madoguchi.admin.{module}").register(subparsers)


__all__ = ["UsageError", "parse_languages", "parse_routes", "parse_time", "register"]
