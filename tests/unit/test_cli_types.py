"""The whole-number argument types the subcommands share refuse bad values with the sentence each command had."""

from __future__ import annotations

import argparse

import pytest

from madoguchi.media import commands as media_commands
from madoguchi.signaling import commands as signaling_commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="madoguchi")
    subparsers = parser.add_subparsers(dest="command", required=True)
    media_commands.register(subparsers)
    signaling_commands.register(subparsers)
    return parser


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (["probe", "--server", "http://x", "--count", "two"], "not a whole number: 'two'"),
        (["probe", "--server", "http://x", "--count", "0"], "must be between 1 and 10000, got 0"),
        (["turn", "config", "--min-port", "80"], "must be between 1024 and 65535, got 80"),
        (["turn", "config", "--max-port", "x1"], "not a port number: 'x1'"),
    ],
)
def test_a_bad_number_is_refused_with_what_was_wanted(
    argv: list[str], sentence: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args(argv)
    assert exit_.value.code == 2
    assert sentence in capsys.readouterr().err


def test_a_number_in_range_is_taken() -> None:
    args = _parser().parse_args(["turn", "config", "--min-port", "1024", "--max-port", "65535"])
    assert (args.min_port, args.max_port) == (1024, 65535)
    probe = ["probe", "--server", "http://x", "--booth-token", "t", "--agent-user", "u", "--agent-password", "p"]
    assert _parser().parse_args([*probe, "--count", "10000"]).count == 10000
