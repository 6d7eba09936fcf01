"""``madoguchi records set-aside`` on the Redis live state: ``--json`` is the whole record (residents' words too),
a copy an operator can keep before ``--clear``; ``--retry`` puts the records back at the end of the outbox.

Session 11 review: nothing ever wrote a set-aside record again, and the command left out the content, so its advice
"copy them first" could not be followed."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.admin.records import records_set_aside
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.redis_store import RedisStore
from tests.cases import open_booth_case
from tests.integration.redis.conftest import REDIS_TEST_URL, redis_settings

WORDS = "母の介護のことで相談したい"


def _open_and_set_aside(counter: Counter) -> list[str]:
    open_booth_case(counter, "c1", 1.0)
    counter.annotate_first_record({"summary": WORDS})
    open_booth_case(counter, "c2", 2.0)
    keys = [e.key for e in counter.state.outbox]
    counter.set_aside_records({keys[0]: "DataError: value too long"}, at=3.0)
    return keys


def args(**flags: bool) -> argparse.Namespace:
    return argparse.Namespace(**{"json": True, "clear": False, "retry": False, **flags})


async def test_json_is_a_full_copy_and_retry_puts_them_back_at_the_end_of_the_outbox(
    tmp_path: Path,
    redis_prefix: str,
    make_store: Callable[..., RedisStore],
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = make_store()
    keys, _ = await store.transact(_open_and_set_aside)
    settings = redis_settings(tmp_path, database_url=None, redis_url=REDIS_TEST_URL, prefix=redis_prefix)

    assert await records_set_aside(args(), settings) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["record"]["key"], row["error"]) for row in lines] == [(keys[0], "DataError: value too long")]
    assert lines[0]["record"]["extra"]["summary"] == WORDS  # the content, so the copy is worth keeping

    assert await records_set_aside(args(retry=True), settings) == 0
    assert "put 1 set-aside record(s) back" in capsys.readouterr().err
    state = (await store.read()).state
    assert state.set_aside == []
    assert [e.key for e in state.outbox] == [keys[1], keys[0]]  # at the end: the outbox writes it again
    assert state.outbox[1].extra["summary"] == WORDS
