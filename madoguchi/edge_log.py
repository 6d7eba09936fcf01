"""What the server writes to its log about input it refuses: one short line, rate-limited, never the input.

Anyone on the network can send a malformed Socket.IO packet or an oversized header, as often as they like.
Logged the libraries' way that was a traceback per packet (twice: python-engineio adds its own stderr handler)
and, for a header over aiohttp's limit, its first 100 bytes at ERROR, which for a ``Cookie`` header is the whole
session token. Here every such refusal is one line naming what was refused (the error's class, the client's
address), at most :data:`LINES_PER_KEY` lines in a burst and then one per :data:`REFILL_S` per kind, with a count
of the lines left out. Nothing the client sent (bytes, header values, message text) is ever put in the line.

Three seams: :class:`LibraryLogger` is the logger handed to python-socketio and python-engineio;
:class:`HttpParseErrorFilter` sits on aiohttp's ``aiohttp.server`` logger (installed by ``madoguchi serve``,
which owns the process's logging); :class:`ShortLog` is what the socket edge calls itself.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

from aiohttp.http_exceptions import HttpProcessingError

from madoguchi.domain.privacy import mask_pii
from madoguchi.signaling.ratelimit import TokenBucket

LINES_PER_KEY: Final = 5
REFILL_S: Final = 10.0
MAX_KEYS: Final = 256
MAX_LINE: Final = 200
DECODING_MODULES: Final = frozenset({"engineio.packet", "engineio.payload", "socketio.packet", "json.decoder"})
"""An exception raised inside one of these modules while reading a request is the client's malformed input."""


class LogBudget:
    """How many lines of each kind may be written now, and how many were left out since the last one. Pure:
    time is passed in."""

    def __init__(self, *, burst: int = LINES_PER_KEY, refill_s: float = REFILL_S) -> None:
        self._burst = burst
        self._rate = 1.0 / refill_s
        self._buckets: dict[str, TokenBucket] = {}
        self._skipped: dict[str, int] = {}

    def take(self, key: str, now: float) -> int | None:
        """None: leave this line out. Otherwise write it, noting the returned number of lines left out."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_KEYS:  # kinds are few; a flood of distinct ones must not grow memory
                self._buckets.clear()
                self._skipped.clear()
            bucket = self._buckets[key] = TokenBucket(rate=self._rate, burst=self._burst, now=now)
        if not bucket.take(now):
            self._skipped[key] = self._skipped.get(key, 0) + 1
            return None
        return self._skipped.pop(key, 0)


class ShortLog:
    """Rate-limited single lines on ``logger``."""

    def __init__(
        self, logger: logging.Logger, *, budget: LogBudget | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self._budget = budget or LogBudget()
        self._clock = clock

    def line(self, level: int, key: str, message: str, *args: object, exc_info: Any = None) -> None:
        skipped = self._budget.take(key, self._clock())
        if skipped is None:
            return
        if skipped:
            message += " (%d more like this not logged)"
            args = (*args, skipped)
        self.logger.log(level, message, *args, exc_info=exc_info)

    def refused(self, key: str, message: str, *args: object) -> None:
        self.line(logging.WARNING, key, message, *args)


def raised_while_decoding(exc: BaseException | None) -> bool:
    """True when ``exc`` is a client's malformed input failing to decode, not a fault of the server."""
    if exc is None:
        return False
    if isinstance(exc, UnicodeDecodeError | RecursionError | HttpProcessingError):
        return True
    frames = traceback.walk_tb(exc.__traceback__)
    return any(frame.f_globals.get("__name__") in DECODING_MODULES for frame, _line in frames)


class LibraryLogger:
    """The logger python-socketio and python-engineio write to (they take any object with these methods).

    Their info and warning lines are dropped, as the libraries do themselves when asked not to log (some carry
    whole packets: message text). Errors are kept, short and rate-limited per message; an exception that is a
    client's input failing to decode becomes one line without a traceback, any other keeps its traceback.
    """

    def __init__(self, short: ShortLog) -> None:
        self.short = short

    def debug(self, *args: object, **kwargs: object) -> None:
        pass

    def info(self, *args: object, **kwargs: object) -> None:
        pass

    def warning(self, *args: object, **kwargs: object) -> None:
        pass

    def error(self, message: object, *args: object, **kwargs: object) -> None:
        text = str(message)[:MAX_LINE]
        self.short.line(logging.ERROR, text[:40], "%s", text % args if args else text)

    def exception(self, message: object, *args: object, **kwargs: object) -> None:
        exc = sys.exc_info()[1]
        text = str(message)[:MAX_LINE]
        if raised_while_decoding(exc):
            self.short.refused(
                "decode:" + text[:40], "refused input that could not be decoded (%s): %s", text, _kind(exc)
            )
        else:
            self.short.line(logging.ERROR, text[:40], "%s", text, exc_info=True)


def _kind(exc: BaseException | None) -> str:
    return type(exc).__name__ if exc is not None else "unknown"


class HttpParseErrorFilter(logging.Filter):
    """On ``aiohttp.server``: a request aiohttp could not parse (a header over its limits, a malformed request
    line) is logged as one short line naming the error's class and status, without the exception's message
    (which quotes the offending bytes) and without a traceback. So is a client that closed its connection while
    the handler still read its body (``ConnectionResetError``: a ``Content-Length`` it never sent): aiohttp logs
    that as "Error handling request" with a whole traceback, about 1.5 KB for one aborted request. Other records
    pass unchanged."""

    def __init__(self, *, budget: LogBudget | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._budget = budget or LogBudget()
        self._clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        exc = _exception_of(record.exc_info)
        details: tuple[object, ...]
        if isinstance(exc, HttpProcessingError):
            key, msg, details = "http-parse", "refused a malformed HTTP request from %s: %s (status %s)", (exc.code,)
        elif isinstance(exc, ConnectionResetError):
            key, msg, details = "http-gone", "a client went away in the middle of its request from %s (%s)", ()
        else:
            return True
        skipped = self._budget.take(key, self._clock())
        if skipped is None:
            return False
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = msg
        record.args = (remote, type(exc).__name__, *details)
        if skipped:
            record.msg += " (%d more like this not logged)"
            record.args = (*record.args, skipped)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _exception_of(
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None] | None,
) -> BaseException | None:
    return exc_info[1] if exc_info else None


def guard_http_log(logger: logging.Logger | None = None) -> None:
    """Put :class:`HttpParseErrorFilter` on aiohttp's server logger (once)."""
    target = logger or logging.getLogger("aiohttp.server")
    if not any(isinstance(f, HttpParseErrorFilter) for f in target.filters):
        target.addFilter(HttpParseErrorFilter())


class MaskingFormatter(logging.Formatter):
    """Every line the server writes, its traceback included, with personal numbers masked (``mask_pii``): the last
    guard for a number that reached a log line by a path nobody thought of (an exception naming a value, a
    library's debug line). What the code logs on purpose never holds one; this catches the rest."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # The project's own identifiers (a case ``c_`` + hex, a staff, booth or call-back id, a process id, a UUID)
        # are kept as they are: their hex digits can look like a phone number, and an operator searches logs by them.
        pieces = _IDENTIFIER.split(line)
        return "".join(piece if index % 2 else mask_pii(piece).text for index, piece in enumerate(pieces))


_IDENTIFIER: Final = re.compile(
    r"(\b(?:[a-z]{1,3}_[0-9a-f]{8,32}|p[0-9a-f]{12}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b)"
)
"""The shapes of the identifiers Madoguchi makes (``secrets.token_hex`` with a short prefix, ``uuid4``)."""


def mask_log_lines(logger: logging.Logger | None = None) -> None:
    """Give every handler of ``logger`` (the root logger) a :class:`MaskingFormatter` with its own format."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, MaskingFormatter):
            current = handler.formatter
            fmt = current._fmt if current is not None else None
            handler.setFormatter(MaskingFormatter(fmt))
