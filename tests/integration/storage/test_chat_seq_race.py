"""Many writers of one case's chat at once each get their own seq, with no gap and no refusal.

CI stop 18: a booth resending twenty unacked lines through one process while the agent wrote through another
made the agent's line lose the max+1 race five times running, and the agent got ``internal``. Two databases
(two pools, as two processes have) write forty lines into one case concurrently on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from madoguchi.storage.db import open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords, NewConsultation

AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
WRITERS = 40


async def test_concurrent_writers_of_one_case_each_get_the_next_seq(database_url: str) -> None:
    first, second = await open_database(database_url), await open_database(database_url)
    try:
        await Municipalities(first).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
        a, b = ConsultationRecords(first), ConsultationRecords(second)
        await a.create(
            NewConsultation(
                id="c1",
                municipality_id="shiomi",
                channel="chat",
                resident_ref="r_1",
                route="tax",
                language="ja",
                state="in_call",
                requested_at=AT,
            )
        )

        async def write(n: int) -> tuple[int, bool]:
            records = a if n % 2 else b
            sender = "resident" if n % 2 else "agent"
            return await records.add_chat("c1", seq=None, sender=sender, text=f"line {n}", at=AT, client_id=f"k{n}")

        results = await asyncio.gather(*(write(n) for n in range(WRITERS)))
        assert sorted(seq for seq, _ in results) == list(range(1, WRITERS + 1))
        assert all(created for _, created in results)
        again = await b.add_chat("c1", seq=None, sender="agent", text="line 0", at=AT, client_id="k0")
        assert again == (dict(zip(range(WRITERS), results, strict=True))[0][0], False)
    finally:
        await first.close()
        await second.close()
