"""The ``madoguchi`` command.

Each feature package owns its subcommands in a ``commands`` module exposing ``register(subparsers)``; this file
only composes them, so the server and every admin command read the same :class:`~madoguchi.settings.Settings`.
Commands are async functions taking ``(args, settings)`` and returning an exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Protocol

from madoguchi.settings import Settings

Command = Callable[[argparse.Namespace, Settings], Coroutine[object, object, int]]


class _Subparsers(Protocol):
    def add_parser(self, name: str, **kwargs: object) -> argparse.ArgumentParser: ...


def build_parser() -> argparse.ArgumentParser:
    from madoguchi import server_commands
    from madoguchi.booking_desk import commands as booking_commands
    from madoguchi.chatbot import commands as chatbot_commands
    from madoguchi.media import commands as media_commands
    from madoguchi.storage import commands as storage_commands

    parser = argparse.ArgumentParser(prog="madoguchi", description="Madoguchi remote counter")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (server_commands, storage_commands, chatbot_commands, media_commands, booking_commands):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    handler: Command = args.handler
    try:
        status = asyncio.run(handler(args, settings))
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)
