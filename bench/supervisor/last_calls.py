"""The supervisors' booth list reads each booth's last call's link quality (``ConsultationRecords.last_link_quality``)
every 30 s. Before session 13 that was one query per booth, on the update's path; now one query per 1,000 booths,
behind the view. This times both reads on a fresh PostgreSQL schema with the e2e bench's town: 2,201 booths, each
with one case today (no link summary, as the fill makes them), 16 of them with a call that kept one.

    python bench/supervisor/last_calls.py --booths 2201 --reps 5

Alternates the two (per booth, then chunked) ``reps`` times and prints the medians; nothing else is started.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


async def per_booth(db: Any, booth_ids: list[str], since: dt.datetime) -> dict[str, Any]:
    """The read as it was before session 13: one small query per booth on its index."""
    from madoguchi.storage.models import Consultation

    found: dict[str, Any] = {}
    async with db.read() as session:
        for booth_id in booth_ids:
            row = (
                await session.execute(
                    select(Consultation.requested_at, Consultation.link_quality)
                    .where(
                        Consultation.booth_id == booth_id,
                        Consultation.requested_at >= since,
                        Consultation.link_quality.is_not(None),
                    )
                    .order_by(Consultation.requested_at.desc())
                    .limit(1)
                )
            ).first()
            if row is not None and row.link_quality:
                found[booth_id] = (row.requested_at, dict(row.link_quality))
    return found


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from madoguchi.storage.db import open_database
    from madoguchi.storage.models import Booth, Consultation
    from madoguchi.storage.municipalities import Municipalities
    from madoguchi.storage.records import ConsultationRecords
    from madoguchi.storage.testing import temporary_database_url

    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="madoguchi-lastcalls-") as tmp:
        async with temporary_database_url("postgresql", Path(tmp)) as url:
            db = await open_database(url)
            try:
                await Municipalities(db).add_municipality("bench", name_ja="ベンチ町", name_en="Bench Town")
                ids = [f"b{n:05d}" for n in range(args.booths)]
                async with db.transaction() as session:
                    await session.execute(
                        insert(Booth),
                        [
                            {"id": b, "municipality_id": "bench", "name": b, "token_hash": f"h{b}", "created_at": now}
                            for b in ids
                        ],
                    )
                    await session.execute(
                        insert(Consultation),
                        [
                            {
                                "id": f"c{b}",
                                "municipality_id": "bench",
                                "channel": "booth",
                                "route": "tax",
                                "language": "ja",
                                "state": "waiting",
                                "requested_at": now - dt.timedelta(minutes=n % 600),
                                "updated_at": now,
                                "booth_id": b,
                                "link_quality": {"resident": {"rtt_ms": {"median": 80}}} if n < 16 else None,
                            }
                            for n, b in enumerate(ids)
                        ],
                    )
                records = ConsultationRecords(db)
                since = now - dt.timedelta(days=30)
                times: dict[str, list[float]] = {"per_booth": [], "chunked": []}
                for _ in range(args.reps):
                    for name in ("per_booth", "chunked"):
                        t0 = time.perf_counter()
                        got = (
                            await per_booth(db, ids, since)
                            if name == "per_booth"
                            else await records.last_link_quality(ids, since)
                        )
                        times[name].append((time.perf_counter() - t0) * 1000)
                        assert len(got) == min(16, args.booths), (name, len(got))
            finally:
                await db.close()
    return {
        "booths": args.booths,
        "reps": args.reps,
        "load": os.getloadavg(),
        "ms": {k: [round(x, 1) for x in v] for k, v in times.items()},
        "median_ms": {k: round(statistics.median(v), 1) for k, v in times.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--booths", type=int, default=2201)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(asyncio.wait_for(main_async(args), 600)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
