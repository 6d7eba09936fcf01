"""Where a hand-edited YAML file really went wrong, and what sort of slip it was, for an admin to find it.

Why: PyYAML reports where it *noticed* a mistake, which is often lines after the slip. ``en |`` without its
``:`` is read as the start of a plain text that runs on until the next ``key:``, so the error pointed two or ten
lines lower and the page said "check that line and the one above" (session 15). The scanner's own marks and the
token before the error say where the slip is: the start of a simple key that never found its ``:``
(``context_mark``), the start of the run-on plain text, the opening quote of a quoted text that swallowed the
lines after it, the ``[`` or ``{`` never closed. ``hint`` names the slip (``colon``, ``indent``, ``tab``,
``quote``, ``bracket``) for a sentence in the admin's
language; None when it is none of those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import yaml


@dataclass(frozen=True, slots=True)
class Fault:
    line: int | None
    """1-based; None when PyYAML gave no mark."""
    hint: str | None


def _line(mark: yaml.Mark | None) -> int | None:
    return None if mark is None else int(mark.line) + 1


def _tokens_before(text: str, index: int) -> list[yaml.Token]:
    """The tokens the scanner reads before ``index`` (the error's position), scanning afresh."""
    scanner = yaml.SafeLoader(text)
    found: list[yaml.Token] = []
    try:
        while scanner.check_token():
            token = scanner.get_token()  # type: ignore[no-untyped-call]
            if token.start_mark.index >= index:
                break
            found.append(token)
    except yaml.MarkedYAMLError:
        pass
    finally:
        scanner.dispose()
    return found


_RUN_ON: Final = {None: "colon", '"': "quote", "'": "quote"}
"""A scalar token's style (None: plain) → the slip that makes it run on over the lines after it."""


def _spans_lines(token: yaml.Token) -> bool:
    return bool(token.start_mark.line != token.end_mark.line)


def _run_on(text: str, error: yaml.MarkedYAMLError) -> Fault | None:
    """A text that swallowed the lines after it: a plain one whose key lost its ``:`` (then ``mapping values are
    not allowed here`` at the next ``key:``), or a quoted one whose closing quote is missing."""
    mark = error.problem_mark
    if mark is None:
        return None
    before = [t for t in _tokens_before(text, mark.index) if isinstance(t, yaml.ScalarToken)]
    # a block text (``|`` or ``>``) spans lines by design: only a plain or a quoted one has run on
    if not before or not _spans_lines(before[-1]) or before[-1].style not in _RUN_ON:
        return None
    return Fault(_line(before[-1].start_mark), _RUN_ON[before[-1].style])


def _simple_key(text: str, error: yaml.MarkedYAMLError) -> Fault | None:
    return Fault(_line(error.context_mark), "colon")


def _unclosed_quote(text: str, error: yaml.MarkedYAMLError) -> Fault | None:
    return Fault(_line(error.context_mark), "quote")


def _tab(text: str, error: yaml.MarkedYAMLError) -> Fault | None:
    return Fault(_line(error.problem_mark), "tab")


def _flow(text: str, error: yaml.MarkedYAMLError) -> Fault | None:
    """A ``[...]`` or ``{...}`` that went wrong: noticed on a later line, the slip is where it opened (its
    ``]``/``}`` or a ``,`` is missing); on its own line, there."""
    opened, noticed = _line(error.context_mark), _line(error.problem_mark)
    if opened is not None and noticed is not None and opened < noticed:
        return Fault(opened, "bracket")
    return Fault(noticed, None)


def _indent(text: str, error: yaml.MarkedYAMLError) -> Fault | None:
    return _run_on(text, error) or Fault(_line(error.problem_mark), "indent")


Rule = Callable[[str, yaml.MarkedYAMLError], Fault | None]
RULES: Final[tuple[tuple[Callable[[yaml.MarkedYAMLError], bool], Rule], ...]] = (
    (lambda e: "'\\t'" in (e.problem or ""), _tab),
    (lambda e: (e.context or "").startswith("while scanning a simple key"), _simple_key),
    (lambda e: (e.context or "").startswith("while scanning a quoted scalar"), _unclosed_quote),
    (lambda e: (e.problem or "").startswith("mapping values are not allowed"), _run_on),
    (lambda e: (e.problem or "").startswith("expected <block end>"), _indent),
    (lambda e: (e.context or "").startswith("while parsing a flow"), _flow),
    (lambda e: isinstance(e, yaml.parser.ParserError), _run_on),
)
"""The first rule that matches and finds a line wins; otherwise the problem's own mark (or the context's)."""


def fault(text: str, error: yaml.MarkedYAMLError) -> Fault:
    """The line of the slip behind ``error`` in ``text``, and its sort."""
    for matches, rule in RULES:
        if matches(error):
            found = rule(text, error)
            if found is not None and found.line is not None:
                return found
    return Fault(_line(error.problem_mark or error.context_mark), None)
