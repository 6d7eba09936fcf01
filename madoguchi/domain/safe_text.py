"""The one rule for text that comes in from outside: no control characters, no lone surrogates.

Why: a NUL typed into a booth's question (``"税金\\x00の相談"``) was acked ``ok``, then PostgreSQL refused its
record ("unsupported Unicode escape sequence") every second, and every record queued behind it waited (session 11,
edge9). PostgreSQL stores no NUL in ``text`` or ``jsonb``; a lone surrogate (``"\\ud800"`` in a JSON body) cannot
even be encoded as UTF-8; the other C0/C1 controls are invisible in every view, log and CSV a person reads.

The rule (``docs/protocol.md``, "Text"): a text may hold any character except

- the C0 controls U+0000-U+001F other than TAB (U+0009), LF (U+000A) and CR (U+000D),
- DEL (U+007F) and the C1 controls U+0080-U+009F,
- the surrogates U+D800-U+DFFF (in valid UTF-8 they never appear; from a JSON ``\\u`` escape they can).

Such a text is refused, never silently changed: the sender learns which field to fix. The socket events apply it
in their shared base model (:class:`madoguchi.signaling.events.Event`), the HTTP edge in one middleware
(:func:`madoguchi.http_json.refuse_unsafe_text`) over every JSON body, form, query and path parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` the rule refuses, as ``U+XXXX``; None when there is none."""
    found = _UNSAFE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def printable(text: str) -> str:
    """``text`` with each refused character replaced by U+FFFD: for a server's own message that quotes what it was
    given (a driver's error), so a log line, a JSON answer or the live state can always be encoded."""
    return _UNSAFE.sub("\ufffd", text)


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _UNSAFE.sub("?", str(key))  # a refused key is named without its bad character
            where = f"{path}.{name}" if path else name
            if isinstance(key, str):
                yield where, key
            yield from _strings(item, where)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}.{i}" if path else str(i))


def find_unsafe(value: object, path: str = "") -> tuple[str, str] | None:
    """The first string inside ``value`` (a parsed JSON document: keys too) that holds a refused character:
    (where, as ``field.sub.0``, and the character as ``U+XXXX``); None when everything is clean."""
    for where, text in _strings(value, path):
        bad = unsafe_character(text)
        if bad is not None:
            return (where or "payload"), bad
    return None


def unsafe_message(where: str, character: str) -> str:
    """The sentence a sender gets back, naming the field and the character."""
    return (
        f"{where}: contains the control character {character}, which is not allowed in text; remove it and send again"
    )
