"""The log budget and the aiohttp filter: how many lines, and what is never in them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aiohttp.http_exceptions import LineTooLong

from madoguchi.edge_log import (
    HttpParseErrorFilter,
    LibraryLogger,
    LogBudget,
    MaskingFormatter,
    ShortLog,
    mask_log_lines,
)

SECRET = "madoguchi_session=TOPSECRET"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"test.edge_log.{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)


def test_the_budget_allows_a_burst_then_one_line_per_refill_and_counts_the_rest() -> None:
    budget = LogBudget(burst=3, refill_s=10)
    allowed = [budget.take("k", 0.0) for _ in range(10)]
    assert allowed == [0, 0, 0] + [None] * 7
    assert budget.take("k", 10.0) == 7  # one line again, saying how many were left out
    assert budget.take("k", 10.0) is None
    assert budget.take("other", 10.0) == 0  # kinds have their own budget


def test_a_flood_of_distinct_kinds_does_not_grow_the_budget_without_bound() -> None:
    budget = LogBudget()
    for n in range(10_000):
        budget.take(f"kind{n}", 0.0)
    assert len(budget._buckets) <= 256


def test_short_log_lines_name_the_lines_left_out(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    clock = Clock()
    short = ShortLog(logger, budget=LogBudget(burst=1, refill_s=5), clock=clock)
    for _ in range(4):
        short.refused("k", "refused %s", "x")
    clock.now = 5
    short.refused("k", "refused %s", "x")
    assert stream.getvalue().splitlines() == ["WARNING refused x", "WARNING refused x (3 more like this not logged)"]


def test_library_info_and_warnings_are_dropped_and_decode_errors_lose_their_traceback(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    library = LibraryLogger(ShortLog(logger))
    library.info("Received packet MESSAGE data %s", SECRET)
    library.warning("something about %s", SECRET)
    try:
        __import__("json").loads('["' + SECRET)
    except ValueError:
        library.exception("message async handler error")
    try:
        raise RuntimeError("a server fault")
    except RuntimeError:
        library.exception("message async handler error")
    out = stream.getvalue()
    assert SECRET not in out
    assert "refused input that could not be decoded (message async handler error): JSONDecodeError" in out
    assert out.count("Traceback") == 1 and "RuntimeError: a server fault" in out  # a real fault keeps it


def test_an_aiohttp_parse_error_is_one_line_without_the_bytes(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.addFilter(HttpParseErrorFilter())
    for _ in range(20):
        logger.error("Error handling request from %s", "192.0.2.1", exc_info=LineTooLong(SECRET * 100, "8190"))
    logger.error("Error handling request from %s", "192.0.2.1", exc_info=RuntimeError("handler bug"))
    out = stream.getvalue()
    assert SECRET not in out
    assert out.count("refused a malformed HTTP request from 192.0.2.1: LineTooLong (status 400)") == 5
    assert "RuntimeError: handler bug" in out  # anything else passes unchanged


def test_a_client_gone_mid_body_is_one_short_rate_limited_line(captured: tuple[logging.Logger, io.StringIO]) -> None:
    """Session 6: a POST whose client closes before its Content-Length arrived was a whole traceback each time."""
    logger, stream = captured
    logger.addFilter(HttpParseErrorFilter())
    for _ in range(300):
        logger.error("Error handling request from %s", "192.0.2.1", exc_info=ConnectionResetError("Connection lost"))
    out = stream.getvalue()
    assert "Traceback" not in out
    assert out.count("a client went away in the middle of its request from 192.0.2.1 (ConnectionResetError)") == 5
    assert len(out) < 1000


def test_every_log_line_and_traceback_has_its_personal_numbers_masked() -> None:
    """The last guard (session 9): a number that reached a log line by an unforeseen path (an exception naming a
    value) is masked in the line the server writes, traceback included; addresses and times stay readable."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("test_edge_log.masking")
    logger.addHandler(handler)
    logger.propagate = False
    mask_log_lines(logger)
    mask_log_lines(logger)  # once is enough; a second call changes nothing
    try:
        try:
            raise ValueError("bad value '090-1234-5678'")
        except ValueError:
            logger.exception("call-back for 電話 0312345678 from 192.168.100.200 failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "ERROR test_edge_log.masking: call-back for 電話 ［電話番号］ from 192.168.100.200 failed" in written
    assert "ValueError: bad value '［電話番号］'" in written
    assert "1234" not in written and "0312345678" not in written
    assert isinstance(handler.formatter, MaskingFormatter)


@pytest.mark.parametrize(
    "ident",
    [
        "c_3eb8c012345678901234",  # a case whose hex part has a phone-number-like run of digits
        "cb_0000123456789012",
        "s_9012345678901234",
        "p123456789012",
        "12345678-9012-4345-8678-901234567890",
    ],
)
def test_masked_log_lines_keep_the_projects_own_identifiers(ident: str) -> None:
    """An operator searches the log by a case or staff id; masking must not turn its digits into ［電話番号］, while a
    number beside it is still masked."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"case {ident} call-back 09012345678", None, None)
    line = MaskingFormatter("%(message)s").format(record)
    assert line == f"case {ident} call-back ［電話番号］"
