"""What every admin command shares: one plain line and exit status 2 for a mistake, the database, the actor.

A mistake by the person typing gets one plain line on stderr and exit status 2, never a traceback; the commands
work before the server ever ran (opening the database migrates it) and while it runs.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from sqlalchemy.exc import DBAPIError

from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.settings import Settings
from madoguchi.storage.accounts import MIN_PASSWORD_LENGTH
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.municipalities import Municipalities

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]
_LANGUAGE_PATTERN = re.compile(r"[a-z]{2,8}(-[a-z0-9]{2,8})*")


class UsageError(Exception):
    """A mistake in the command line or its input; the message is printed as is."""


def fail(message: str) -> int:
    print(f"madoguchi: error: {message}", file=sys.stderr)
    return 2


def user_errors(handler: Handler) -> Handler:
    """Turn refusals and unreachable databases into one line on stderr and exit status 2."""

    @wraps(handler)
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return await handler(args, settings)
        except (UsageError, StorageError) as error:
            return fail(str(error))
        except BrokenPipeError:
            # stdout closed early (e.g. `records export | head`): stop quietly, like other Unix tools.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        except (DBAPIError, OSError) as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            return fail(f"cannot use the database: {reason}")

    return run


async def open_db(settings: Settings) -> Database:
    return await open_database(settings.effective_database_url)


def actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def now() -> datetime:
    return datetime.now(UTC)


async def resolve_municipality(db: Database, requested: str | None) -> str:
    """The ``--municipality`` given, checked, or the only one there is."""
    municipalities = Municipalities(db)
    if requested is not None:
        if await municipalities.get(requested) is None:
            raise UsageError(f"there is no municipality with id {requested!r}")
        return requested
    known = await municipalities.list()
    if not known:
        raise UsageError(
            "no municipality exists yet: add one with `madoguchi municipality add` "
            "(or run `madoguchi db seed-demo` for the demo town)"
        )
    if len(known) > 1:
        ids = ", ".join(m.id for m in known)
        raise UsageError(f"there are several municipalities ({ids}): choose one with --municipality")
    return known[0].id


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_routes(value: str) -> list[str]:
    if value.strip().lower() in ("all", "*"):
        return ["*"]
    routes = _split(value)
    if not routes:
        raise UsageError("--routes needs 'all' or a comma-separated list of route ids")
    unknown = [r for r in routes if r not in ROUTE_IDS]
    if unknown:
        raise UsageError(f"unknown route id(s): {', '.join(unknown)}; known: {', '.join(ROUTE_IDS)}")
    return routes


def parse_languages(value: str) -> list[str]:
    languages = _split(value)
    bad = [lang for lang in languages if not _LANGUAGE_PATTERN.fullmatch(lang)]
    if not languages or bad:
        raise UsageError(f"--languages needs language codes like 'ja,en', got {value!r}")
    return languages


def parse_time(value: str) -> datetime:
    """An ISO 8601 date or time; without an offset it means UTC (add +09:00 for Japan time)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date/time: {value!r} (e.g. 2024-06-01 or 2024-06-01T09:00+09:00)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise UsageError("the two passwords differ")
    else:
        raise UsageError("give the password on stdin with --password-stdin")
    if not password:
        raise UsageError("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    return password


def print_table(rows: Sequence[Sequence[str]]) -> None:
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def nested(subparsers: Any, name: str, help_text: str) -> Any:
    """A command group (``madoguchi user …``) whose subcommand is required."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")
