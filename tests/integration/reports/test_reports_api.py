"""The reports API and page on the real server: who may see what, bad filters, known figures, exports.

Two municipalities share the deployment (共同運用): 汐見町 (``shiomi``) and 凪村 (``nagi``). Their consultations
are written through the real records repository; the test then reads them back only through HTTP (and the
CLI), and B's cases must never show up for A's supervisor.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openpyxl import load_workbook

from madoguchi import keys
from madoguchi.admin import register
from madoguchi.reports.kpis import JST
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.municipalities import Municipalities
from tests.report_cases import booth_case, chat_case
from tests.support import LiveServer, login_cookie

PASSWORD = "umi-no-mieru-machi"
DAY = "2026-11-02"  # a Monday


def jst(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=JST)


@dataclass
class Town:
    server: LiveServer
    booth_a: str
    booth_b: str
    agent_a: str


@pytest.fixture
async def town(live_server: LiveServer) -> AsyncIterator[Town]:
    app = live_server.app
    municipalities = Municipalities(app[keys.DATABASE])
    await live_server.add_municipality("nagi", "凪村")
    await municipalities.add_place("shiomi-post", municipality_id="shiomi", name="汐見郵便局", kind="post_office")
    booth_a, _ = await app[keys.BOOTHS].add("汐見郵便局ブース", municipality_id="shiomi", place_id="shiomi-post")
    booth_b, _ = await app[keys.BOOTHS].add("凪村公民館ブース", municipality_id="nagi")
    agent_a = await live_server.add_agent("agent-a", PASSWORD)
    agent_b = await live_server.add_agent("agent-b", PASSWORD, municipality="nagi")
    await live_server.add_agent("sup-a", PASSWORD, role="supervisor")
    await live_server.add_agent("sup-b", PASSWORD, role="supervisor", municipality="nagi")
    await app[keys.ACCOUNTS].add_user(
        "admin-ab", PASSWORD, role="admin", municipality_ids=["shiomi", "nagi"], routes=["*"], languages=["ja"]
    )
    records = app[keys.RECORDS]
    a, b = booth_a.id, booth_b.id
    await booth_case(
        records, "a1", municipality="shiomi", booth_id=a, at=jst(2, 9, 15), wait=30, talk=300, wrap=60, agent_id=agent_a
    )
    await booth_case(records, "a2", municipality="shiomi", booth_id=a, at=jst(2, 10, 5), abandon_after=60)
    # asked at 23:50, handed to a person at 00:00 the next day: still Monday's
    await chat_case(
        records,
        "a3",
        municipality="shiomi",
        at=jst(2, 23, 50),
        handoff_after=600,
        wait=20,
        talk=100,
        wrap=20,
        agent_id=agent_a,
    )
    await booth_case(
        records, "a4", municipality="shiomi", booth_id=a, at=jst(3, 0, 10), wait=10, talk=10, wrap=0, agent_id=agent_a
    )
    await chat_case(records, "a5", municipality="shiomi", at=jst(2, 14, 0), handoff_after=None)
    await booth_case(
        records, "b1", municipality="nagi", booth_id=b, at=jst(2, 9, 30), wait=5, talk=50, wrap=5, agent_id=agent_b
    )
    yield Town(live_server, a, b, agent_a)


async def get(server: LiveServer, path: str, user: str | None) -> tuple[int, dict[str, str], bytes]:
    cookies = {} if user is None else {"madoguchi_session": await login_cookie(server.base_url, user, PASSWORD)}
    async with (
        aiohttp.ClientSession(cookies=cookies) as http,
        http.get(f"{server.base_url}{path}", allow_redirects=False) as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def kpis(server: LiveServer, user: str, query: str) -> tuple[int, Any]:
    status, _, body = await get(server, f"/api/reports/kpis?{query}", user)
    return status, json.loads(body)


async def test_supervisor_sees_the_known_figures_of_their_town(town: Town) -> None:
    status, report = await kpis(town.server, "sup-a", f"from={DAY}&to={DAY}")

    assert status == 200, report
    assert report["municipalities"] == ["shiomi"]
    assert report["timezone"] == "Asia/Tokyo"
    assert report["volume"] == 4  # a1 a2 a3 a5; a4 is Tuesday's
    assert (report["answered"], report["abandoned"], report["abandoned_short"]) == (2, 1, 0)
    assert report["abandon_rate"] == pytest.approx(1 / 3)
    assert report["asa_s"] == 25  # 30 and 20 (the chat waits from its handoff, not from 23:50)
    assert report["wait_p50_s"] == 30
    assert report["wait_p90_s"] == 60
    assert report["service_level"] == pytest.approx(2 / 3)
    assert report["aht_s"] == 240  # (300 + 60) and (100 + 20)
    assert report["bot_containment"] == 0.5
    assert report["handoff_rate"] == 0.5
    assert len(report["by_hour"]) == 24
    assert [report["by_hour"][h] for h in (9, 10, 14, 23)] == [1, 1, 1, 1]
    assert report["by_weekday"][0] == 4
    assert set(report["by_route"]) == {"tax", "general_inquiry"}
    assert list(report["by_booth"]) == [town.booth_a]
    assert report["names"]["booths"][town.booth_a] == "汐見郵便局ブース"
    assert report["by_agent"][town.agent_a]["answered"] == 2
    assert report["names"]["agents"][town.agent_a] == "agent-a さん"


async def test_filters_narrow_the_figures(town: Town) -> None:
    two_days = f"from={DAY}&to=2026-11-03"
    assert (await kpis(town.server, "sup-a", two_days))[1]["volume"] == 5
    assert (await kpis(town.server, "sup-a", f"{two_days}&channel=chat"))[1]["volume"] == 2
    assert (await kpis(town.server, "sup-a", f"{two_days}&route=tax"))[1]["volume"] == 3
    assert (await kpis(town.server, "sup-a", f"{two_days}&place=shiomi-post"))[1]["volume"] == 3
    assert (await kpis(town.server, "sup-a", f"{two_days}&booth={town.booth_a}"))[1]["volume"] == 3


async def test_one_town_never_sees_the_other(town: Town) -> None:
    _, a = await kpis(town.server, "sup-a", f"from={DAY}&to={DAY}")
    status, b = await kpis(town.server, "sup-b", f"from={DAY}&to={DAY}")

    assert status == 200
    assert b["volume"] == 1
    assert list(b["by_booth"]) == [town.booth_b]
    assert town.booth_b not in a["by_booth"] and town.booth_b not in a["names"]["booths"]
    assert town.booth_a not in b["names"]["booths"]
    assert town.agent_a not in b["by_agent"]
    # B's booth as a filter gives A's supervisor nothing, and B's town is refused outright
    assert (await kpis(town.server, "sup-a", f"from={DAY}&to={DAY}&booth={town.booth_b}"))[1]["volume"] == 0
    status, refused = await kpis(town.server, "sup-a", f"from={DAY}&to={DAY}&municipality=nagi")
    assert status == 400
    assert "nagi" in refused["error"]["message"]


async def test_someone_in_both_towns_sees_each_and_both(town: Town) -> None:
    query = f"from={DAY}&to={DAY}"
    assert (await kpis(town.server, "admin-ab", query))[1]["volume"] == 5
    assert (await kpis(town.server, "admin-ab", f"{query}&municipality=nagi"))[1]["volume"] == 1
    assert (await kpis(town.server, "admin-ab", f"{query}&municipality=shiomi"))[1]["volume"] == 4


@pytest.mark.parametrize(
    "path",
    ["/api/reports/kpis", "/api/reports/consultations.csv", "/api/reports/consultations.xlsx"],
)
async def test_agents_and_strangers_are_refused(town: Town, path: str) -> None:
    query = f"?from={DAY}&to={DAY}"
    status, _, body = await get(town.server, path + query, "agent-a")
    assert status == 403
    assert json.loads(body)["error"]["code"] == "forbidden"
    status, _, body = await get(town.server, path + query, None)
    assert status == 401
    assert json.loads(body)["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("to=2026-11-02", "'from' is missing"),
        ("from=2026-11-31&to=2026-12-01", "not a real date"),
        ("from=2026-11-02&to=2026-11-01", "before 'from'"),
        ("from=2025-01-01&to=2026-11-02", "at most 366"),
        ("from=2026-11-02&to=2026-11-02&route=casino", "unknown route"),
        ("from=2026-11-02&to=2026-11-02&channel=fax", "'channel'"),
    ],
)
async def test_bad_filters_get_a_400_with_a_sentence(town: Town, query: str, words: str) -> None:
    status, body = await kpis(town.server, "sup-a", query)

    assert status == 400
    assert body["error"]["code"] == "invalid_request"
    assert words in body["error"]["message"]


async def test_csv_export_for_excel_is_scoped_and_audited(town: Town) -> None:
    status, headers, body = await get(
        town.server, f"/api/reports/consultations.csv?from={DAY}&to=2026-11-03&headers=ja", "sup-a"
    )

    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(row["相談ID"] for row in rows) == ["a1", "a2", "a3", "a4", "a5"]
    by_id = {row["相談ID"]: row for row in rows}
    assert by_id["a3"]["受付日時"] == "2026-11-02 23:50:00"  # Japan time, the way Excel reads dates
    assert by_id["a4"]["受付日時"] == "2026-11-03 00:10:00"
    assert by_id["a1"]["ブース名"] == "汐見郵便局ブース"
    assert {row["自治体"] for row in rows} == {"汐見町"}  # ux7: the town's name under Japanese headers
    entries = await AuditLog(town.server.app[keys.DATABASE]).recent()
    [export] = [e for e in entries if e.action == "records.export"]
    assert export.actor == "staff:sup-a"
    assert export.detail["rows"] == 5
    assert export.detail["municipalities"] == ["shiomi"]


async def test_exports_follow_the_filters(town: Town) -> None:
    base = f"/api/reports/consultations.csv?from={DAY}&to=2026-11-03"
    for query, expected in [
        ("&route=tax", ["a1", "a2", "a4"]),
        ("&channel=chat", ["a3", "a5"]),
        ("&place=shiomi-post", ["a1", "a2", "a4"]),
        (f"&booth={town.booth_a}", ["a1", "a2", "a4"]),
        (f"&booth={town.booth_b}", []),
    ]:
        _, _, body = await get(town.server, base + query, "sup-a")
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert sorted(row["consultation_id"] for row in rows) == expected, query


async def test_csv_export_has_the_same_rows_as_the_cli(town: Town, tmp_path: Path) -> None:
    _, _, from_api = await get(town.server, f"/api/reports/consultations.csv?from={DAY}&to=2026-11-03", "sup-a")

    settings = Settings(data_dir=tmp_path / "cli", database_url=town.server.settings.effective_database_url)
    parser = argparse.ArgumentParser(prog="madoguchi")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        [
            "records",
            "export",
            "--format",
            "csv",
            "--excel",
            "--local-time",
            "--from",
            DAY,
            "--to",
            "2026-11-03",
            "--municipality",
            "shiomi",
        ]
    )
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    with contextlib.redirect_stdout(out):
        assert await args.handler(args, settings) == 0
        out.flush()
    from_cli = out.buffer.getvalue()

    assert from_api == from_cli
    assert from_cli.count(b"\r\n") == 6  # the header and five consultations


async def test_xlsx_export_opens_and_holds_only_the_callers_rows(town: Town) -> None:
    status, headers, body = await get(town.server, f"/api/reports/consultations.xlsx?from={DAY}&to={DAY}", "sup-b")

    assert status == 200
    assert headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "consultation_id"
    assert [row[0] for row in rows[1:]] == ["b1"]
    requested = rows[1][list(rows[0]).index("requested_at")]
    assert requested == datetime(2026, 11, 2, 9, 30)


async def test_reports_page_for_supervisors_only(town: Town) -> None:
    status, headers, body = await get(town.server, "/reports", None)
    assert status == 302
    assert headers["Location"].startswith("/login")

    status, _, body = await get(town.server, "/reports", "agent-a")
    assert status == 403
    page = body.decode()
    assert "この画面は見られません" in page
    assert "kpi-volume" not in page

    status, headers, body = await get(town.server, "/reports", "sup-a")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    page = body.decode()
    for testid in (
        "kpi-volume",
        "kpi-aht",
        "kpi-bot-containment",
        "report-chart-hourly",
        "report-export-csv",
        "report-export-xlsx",
    ):
        assert f'data-testid="{testid}"' in page
    assert "汐見郵便局ブース" in page
    assert "凪村公民館ブース" not in page
    assert "/static/vendor/chart.umd.min.js" in page
