"""The ``madoguchi`` command.

Each feature package owns its subcommands in a ``commands`` module (the admin commands: the ``madoguchi.admin``
package) exposing ``register(subparsers)``; this file only composes them (and hands the triage command its LLM
backend), so the server and every admin command read the same :class:`~madoguchi.settings.Settings`.
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
    from madoguchi import admin, server_commands
    from madoguchi.booking_desk import commands as booking_commands
    from madoguchi.chatbot import commands as chatbot_commands
    from madoguchi.llm_backend import OpenAiCompatibleBackend
    from madoguchi.media import commands as media_commands
    from madoguchi.reports import commands as reports_commands
    from madoguchi.signaling import commands as signaling_commands

    parser = argparse.ArgumentParser(prog="madoguchi", description="Madoguchi remote counter")
    sub = parser.add_subparsers(dest="command", required=True)
    server_commands.register(sub)
    admin.register(sub)
    chatbot_commands.register(sub, llm=OpenAiCompatibleBackend.from_settings)
    media_commands.register(sub)
    signaling_commands.register(sub)
    booking_commands.register(sub)
    reports_commands.register(sub)
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
