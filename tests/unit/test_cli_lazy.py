"""The ``madoguchi`` command imports only the feature that runs: ``--help`` and a small command start without the
web app, the triage model's scikit-learn or (for ``--help``) the database library, and every command and option
is still there (the lazy table cannot drift from what the registrars add)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from madoguchi import cli


def _commands(parser: argparse.ArgumentParser) -> list[tuple[str, str | None]]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [(choice.dest, choice.help) for choice in sub._choices_actions]


def test_the_table_names_every_command_with_the_help_its_registrar_gives() -> None:
    real = _commands(cli.build_parser())  # every registrar, for real
    assert real == [(name, help_text) for name, help_text, _ in cli.COMMANDS]
    for name, _, _ in cli.COMMANDS:  # one command for real, the others placeholders: the same list, same order
        assert _commands(cli.build_parser([name, "--help"])) == real, name


@pytest.mark.parametrize("name", [name for name, _, _ in cli.COMMANDS])
def test_each_command_parses_as_before(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    full = cli.build_parser()
    lazy = cli.build_parser([name])
    with pytest.raises(SystemExit) as exited:
        lazy.parse_args([name, "--help"])
    assert exited.value.code == 0
    lazy_help = capsys.readouterr().out
    with pytest.raises(SystemExit):
        full.parse_args([name, "--help"])
    assert lazy_help == capsys.readouterr().out


PROBE = """
import json, sys
from madoguchi import cli
try:
    cli.build_parser(sys.argv[1:]).parse_args(sys.argv[1:])
except SystemExit:
    pass
heavy = ("madoguchi.app", "sklearn", "aiohttp", "sqlalchemy", "madoguchi.admin.booths", "madoguchi.booking_desk")
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def _imported(*argv: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_help_and_a_small_command_import_only_what_they_run() -> None:
    assert _imported("--help") == []
    assert _imported("records", "export", "--help") == ["sqlalchemy"]  # its own storage, nothing else
