"""Staff-edited YAML files read with their line numbers, so every mistake names ``file:line``.

The knowledge base and the safety lexicons are both edited by hand; a mistake must come back as one clear
line (``kb/tax.yaml:42: entry 'juminzei-pay': answer: field required``), not as a Python traceback. PyYAML's
node marks are kept and each pydantic error location is mapped back to the line it came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

import yaml
from pydantic import ValidationError
from yaml.composer import ComposerError

from madoguchi.chatbot.yaml_fault import fault
from madoguchi.domain.safe_text import find_unsafe, unsafe_message

MAX_TEXT: Final = 10_000
"""The longest text one YAML value may hold (the Japanese tokenizer reads at most about 12,000 characters)."""


MAX_DEPTH: Final = 50
"""The deepest nesting of lists and mappings one file may have (the files need about six)."""


class _StaffYamlLoader(yaml.SafeLoader):
    """The safe loader without aliases (``*name``), with a bound on each text and on the nesting.

    Why: these files come from an admin's upload. An alias repeats a node without repeating its text, so a few
    kilobytes of ``*a`` could stand for gigabytes of answers or keywords to normalise and index ("billion
    laughs"); the hand-edited files never need one. PyYAML composes and constructs nested nodes by recursion, so
    5,000 ``[`` in a row ran Python out of stack (a 500 with a RecursionError, session 21): a file nested deeper
    than :data:`MAX_DEPTH` is refused with its line before that."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise ComposerError(None, None, "aliases (*name) are not allowed in these files", mark)
        if self._depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
        self._depth += 1
        try:
            node: yaml.Node | None = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.ScalarNode) and len(node.value) > MAX_TEXT:
            raise ComposerError(None, None, f"a text longer than {MAX_TEXT} characters is too long", node.start_mark)
        return node


class KnowledgeBaseError(ValueError):
    """A knowledge-base file is wrong; ``str()`` reads ``path:line: what is wrong``. ``kind`` says what sort of
    mistake for a sentence in the reader's language (/admin's upload report): ``yaml`` (not YAML: indentation,
    ``:``, quotes), ``encoding`` (not UTF-8), ``empty``, ``missing`` (a file the folder needs), ``content`` (a
    field or value the loader refuses); ``message`` stays the English detail for whoever supports the office.
    ``hint``: for ``yaml``, the sort of slip when it is known (``colon``, ``indent``, ``tab``, ``quote``:
    :mod:`~madoguchi.chatbot.yaml_fault`), and ``line`` is then where the slip is, not where PyYAML noticed it."""

    def __init__(
        self, path: Path, line: int | None, message: str, *, kind: str = "content", hint: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.kind = kind
        self.hint = hint
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


def compose(path: Path) -> tuple[yaml.Node, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(path, None, f"not UTF-8 text ({exc.reason})", kind="encoding") from exc
    try:
        loader = _StaffYamlLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise KnowledgeBaseError(path, 1, "the file is empty", kind="empty")
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        slip = fault(text, exc)
        message = f"not valid YAML: {exc.problem or exc.context}"
        raise KnowledgeBaseError(path, slip.line, message, kind="yaml", hint=slip.hint) from exc
    found = find_unsafe(data)
    if found is not None:
        # a "\0" or "\x1b" escape: a NUL in an answer would be refused by PostgreSQL in every chat line that
        # quotes it (the edge's rule, docs/protocol.md "Text")
        where, character = found
        parts = [int(p) if p.isdigit() else p for p in where.split(".")]
        raise KnowledgeBaseError(path, line_of(node, parts), unsafe_message(where, character))
    return node, data


def child(node: yaml.Node, key: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key]  # type: ignore[no-any-return]
    return None


def key_node(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            if getattr(key_node, "value", None) == key:
                return key_node  # type: ignore[no-any-return]
    return None


def line_of(node: yaml.Node, location: Sequence[int | str]) -> int:
    """The 1-based line of the deepest node along a pydantic error location (for a block under a key,
    the key's line)."""
    current = node
    line = int(node.start_mark.line) + 1
    for part in location:
        found = child(current, part)
        if found is None:
            break
        key = key_node(current, part) if isinstance(part, str) else None
        line = int((key if key is not None else found).start_mark.line) + 1
        current = found
    return line


def describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(p) for p in error["loc"] if not str(p).startswith("function-after"))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = f"unknown field '{error['loc'][-1]}'"
        if error.get("input") is None:
            message += " (a comma inside {...} splits the text there: put the whole text in quotes)"
    return f"{location}: {message}" if location else message


def raise_validation(path: Path, node: yaml.Node, exc: ValidationError, prefix: str = "") -> NoReturn:
    first = exc.errors()[0]
    location = [p for p in first["loc"] if isinstance(p, int | str)]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    raise KnowledgeBaseError(path, line_of(node, location), f"{prefix}{describe(first)}{more}") from exc
