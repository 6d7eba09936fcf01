"""CLI subcommands of this package (registered by madoguchi.cli)."""

from __future__ import annotations

from typing import Any


def register(subparsers: Any) -> None:
    """Add this package's subcommands to ``madoguchi``."""
