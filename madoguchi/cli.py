"""The ``madoguchi`` command.

Each feature package owns its subcommands in a ``commands`` module (the admin commands: the ``madoguchi.admin``
package) exposing ``register(subparsers)``; this file only composes them (and hands the triage command its LLM
backend), so the server and every admin command read the same :class:`~madoguchi.settings.Settings`.
Commands are async functions taking ``(args, settings)`` and returning an exit status.

Why lazily: importing every feature (the web app, the triage model's scikit-learn, the booking desk) took seconds
before ``madoguchi --help`` could print a line. :data:`COMMANDS` names each top-level command, its one-line help
and the registrar that owns it; only the registrar of the command being run is imported, every other command is
a placeholder with the same name and help (so ``--help`` and "invalid choice" list them all, in the same order).
``tests/unit/test_cli_lazy.py`` holds the table to what the registrars really add.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from madoguchi.settings import Settings

if TYPE_CHECKING:
    from madoguchi.chatbot.knowledge import Municipality
    from madoguchi.storage.db import Database
    from madoguchi.storage.opening_hours import HoursBook

Command = Callable[[argparse.Namespace, Settings], Coroutine[object, object, int]]


Registrar = Callable[[Any], None]


class _Subparsers(Protocol):
    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser: ...


def _town_hours(db: Database, town: Callable[[str], Municipality | None]) -> HoursBook:
    """The composition root's calendar factory, imported when a bookings command first needs it."""
    from madoguchi.app import town_hours

    return town_hours(db, town)


def _server(sub: Any) -> None:
    from madoguchi import server_commands

    server_commands.register(sub)


def _admin(command: str) -> Registrar:
    """The registrar of one admin module (``municipality`` and ``place`` share one: they are one module)."""

    def register(sub: Any) -> None:
        from madoguchi import admin

        admin.register(sub, only=command)

    return register


def _chatbot(sub: Any) -> None:
    from madoguchi.chatbot import commands
    from madoguchi.llm_backend import OpenAiCompatibleBackend

    commands.register(sub, llm=OpenAiCompatibleBackend.from_settings)


def _media(sub: Any) -> None:
    from madoguchi.media import commands

    commands.register(sub)


def _signaling(sub: Any) -> None:
    from madoguchi.signaling import commands

    commands.register(sub)


def _bookings(sub: Any) -> None:
    from madoguchi.booking_desk import commands

    commands.register(sub, hours=_town_hours)


def _reports(sub: Any) -> None:
    from madoguchi.reports import commands

    commands.register(sub)


_USERS, _BOOTHS, _TOWNS, _RECORDS, _DB, _HOURS = (
    _admin(command) for command in ("user", "booth", "municipality", "records", "db", "hours")
)

COMMANDS: Final[tuple[tuple[str, str, Registrar], ...]] = (
    ("serve", "run the server", _server),
    ("demo", "run the server with the sample municipality and demo accounts (printed on start)", _server),
    ("user", "staff accounts", _USERS),
    ("booth", "booths (kiosks) and their device tokens", _BOOTHS),
    ("municipality", "municipalities served by this deployment", _TOWNS),
    ("place", "places of a municipality (main office, post offices...)", _TOWNS),
    ("records", "consultation records", _RECORDS),
    ("db", "the database itself", _DB),
    ("hours", "opening hours and closed days (the same stored hours as /admin)", _HOURS),
    (
        "triage",
        "triage resident utterances from stdin (one a line, or JSON lines with 'text'), or --eval a file",
        _chatbot,
    ),
    ("probe", "run full synthetic booth → agent video calls and report their timings", _media),
    ("turn", "the TURN server (coturn) that carries calls through closed networks", _signaling),
    ("bookings", "booked times (予約)", _bookings),
    ("reports", "the reports' stored daily rollups", _reports),
)
"""Every top-level command in ``--help`` order: name, one-line help, the registrar that adds it."""

REGISTRARS: Final[tuple[Registrar, ...]] = tuple(dict.fromkeys(registrar for _, _, registrar in COMMANDS))


def _command_of(argv: Sequence[str]) -> str | None:
    """The top-level command named in ``argv`` (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def _placeholder(sub: Any, name: str, help_text: str) -> None:
    sub.add_parser(name, help=help_text, add_help=False)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the registrar owning its command is imported and registers for real, the other
    commands are placeholders (name and help only). ``argv=None`` builds every command for real."""
    parser = argparse.ArgumentParser(prog="madoguchi", description="Madoguchi remote counter")
    sub = parser.add_subparsers(dest="command", required=True)
    if argv is None:
        for registrar in REGISTRARS:
            registrar(sub)
        return parser
    wanted = _command_of(argv)
    owner = next((registrar for name, _, registrar in COMMANDS if name == wanted), None)
    done: set[Registrar] = set()
    for name, help_text, registrar in COMMANDS:
        if registrar is not owner:
            _placeholder(sub, name, help_text)
        elif registrar not in done:
            done.add(registrar)
            registrar(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    settings = Settings()
    handler: Command = args.handler
    try:
        status = asyncio.run(handler(args, settings))
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)
