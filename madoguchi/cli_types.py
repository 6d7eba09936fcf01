"""Argument types the packages' subcommands share: a bad value is refused by argparse with a sentence that says
what was wanted (exit status 2), before any command runs.

Here, outside the layers, so that any package's ``commands`` module can use them without importing another
feature package.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number_within(low: int, high: int, *, what: str, wanted: str) -> Callable[[str], int]:
    """An argparse type for a whole number from ``low`` to ``high``; ``what`` names it when the text is no
    number ("not a port number: 'x'"), ``wanted`` says the range when it is out of it."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {value}")
        return value

    return parse
