"""The admin CLI as a real ``madoguchi`` subprocess against SQLite and PostgreSQL.

The main paths run here end to end (interpreter start, settings from the environment, migrations, output
bytes); the many refusal cases run in-process in ``test_storage_admin_commands.py``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, current_revision, open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import EXPORT_FIELDS, ConsultationRecords, NewConsultation

from .conftest import Cli, add_town, assert_user_error, cli_env, run_cli

T0 = datetime(2024, 6, 3, 0, 30, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_db_upgrade_creates_the_default_sqlite_file_in_a_fresh_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"

    result = await run_cli(cli_env(data_dir, None), "db", "upgrade")

    assert result.status == 0, result
    assert "0018_ux16b_talked_before" in result.stdout
    database_file = data_dir / "madoguchi.db"
    assert database_file.exists()
    assert await current_revision(f"sqlite+aiosqlite:///{database_file}") == "0018_ux16b_talked_before"


async def test_db_upgrade_migrates_an_empty_database(cli: Cli, database_url: str) -> None:
    assert await current_revision(database_url) is None

    result = await cli("db", "upgrade")

    assert result.status == 0, result
    assert await current_revision(database_url) == "0018_ux16b_talked_before"


async def test_user_add_reads_the_password_from_stdin(cli: Cli, database_url: str) -> None:
    await add_town(database_url)

    result = await cli(
        "user",
        "add",
        "tanaka",
        "--role",
        "agent",
        "--password-stdin",
        "--routes",
        "resident_records,tax",
        "--languages",
        "ja,en",
        "--display-name",
        "田中 花子",
        stdin="umi-no-mieru-machi\nsecond line is ignored\n",
    )

    assert result.status == 0, result
    assert "tanaka" in result.stdout
    db = Database(database_url)
    try:
        user = await Accounts(db).authenticate("tanaka", "umi-no-mieru-machi")
    finally:
        await db.close()
    assert user is not None
    assert (user.role, user.display_name, user.municipality_ids) == ("agent", "田中 花子", ("shiomi",))
    assert (user.routes, user.languages) == (("resident_records", "tax"), ("ja", "en"))

    listing = await cli("user", "list")
    assert listing.status == 0
    assert "tanaka" in listing.stdout and "resident_records,tax" in listing.stdout
    assert "umi-no-mieru-machi" not in listing.stdout and "argon2" not in listing.stdout


async def test_user_add_refusal_is_one_line_and_exit_2(cli: Cli, database_url: str) -> None:
    await add_town(database_url)

    result = await cli("user", "add", "tanaka", "--role", "agent", "--password-stdin", stdin="short\n")

    assert_user_error(result, "at least 8")


async def test_booth_add_json_prints_one_line_with_a_working_token(cli: Cli, database_url: str) -> None:
    await add_town(database_url)

    result = await cli("booth", "add", "汐見郵便局ブース", "--location", "窓口の横", "--place", "shiomi-post", "--json")

    assert result.status == 0, result
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"booth_id", "token", "url"}
    assert data["url"] == f"/booth/{data['booth_id']}#token={data['token']}"
    db = Database(database_url)
    try:
        booth = await Booths(db).by_token(data["token"])
    finally:
        await db.close()
    assert booth is not None
    assert (booth.id, booth.name, booth.location, booth.place_name) == (
        data["booth_id"],
        "汐見郵便局ブース",
        "窓口の横",
        "汐見郵便局",
    )

    listing = await cli("booth", "list")
    assert listing.status == 0
    assert data["booth_id"] in listing.stdout and "汐見郵便局ブース" in listing.stdout
    assert data["token"] not in listing.stdout


async def write_consultations(database_url: str) -> None:
    """c1: a full booth call with chat and wrap-up; c2: a chat case still waiting an hour later."""
    db = await open_database(database_url)
    try:
        await Municipalities(db).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
        await Municipalities(db).add_place("post", municipality_id="shiomi", name="汐見郵便局", kind="post_office")
        booth, _ = await Booths(db).add("汐見郵便局ブース", municipality_id="shiomi", place_id="post")
        agent = await Accounts(db).add_user(
            "agent1", "long-enough", role="agent", municipality_ids=["shiomi"], routes=["*"], languages=["ja"]
        )
        records = ConsultationRecords(db)
        await records.create(
            NewConsultation(
                id="c1",
                municipality_id="shiomi",
                channel="booth",
                booth_id=booth.id,
                route="resident_records",
                language="ja",
                state="waiting",
                requested_at=at(0),
            )
        )
        await records.transition("c1", at=at(20), kind="accept", state="active", answered_at=at(20), agent_id=agent.id)
        await records.add_chat("c1", seq=1, sender="resident", text="住民票を, 2通", at=at(30), client_id="a")
        await records.add_chat("c1", seq=2, sender="agent", text='はい "承知" しました', at=at(40), client_id="b")
        await records.transition("c1", at=at(200), kind="end", state="wrap_up", ended_at=at(200))
        await records.transition(
            "c1",
            at=at(230),
            kind="wrap_up",
            state="closed",
            wrapped_up_at=at(230),
            closed_at=at(230),
            disposition="resolved",
            note="郵送で対応\n次回は本人確認書類",
        )
        await records.create(
            NewConsultation(
                id="c2",
                municipality_id="shiomi",
                channel="chat",
                resident_ref="r_1",
                route="tax",
                language="en",
                state="waiting",
                requested_at=at(3600),
            )
        )
    finally:
        await db.close()


async def test_records_export_jsonl_has_one_consultation_a_line(cli: Cli, database_url: str) -> None:
    await write_consultations(database_url)

    result = await cli("records", "export", "--format", "jsonl")

    assert result.status == 0, result
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["consultation_id"] for row in rows] == ["c1", "c2"]
    first = rows[0]
    assert list(first) == list(EXPORT_FIELDS)
    assert (first["booth_name"], first["place"], first["agent_username"]) == (
        "汐見郵便局ブース",
        "汐見郵便局",
        "agent1",
    )
    assert (first["waited_s"], first["handled_s"], first["disposition"]) == (20.0, 180.0, "resolved")
    assert (first["requested_at"], first["state"]) == ("2024-06-03T00:30:00+00:00", "closed")
    assert [line["text"] for line in first["transcript"]] == ["住民票を, 2通", 'はい "承知" しました']
    assert "住民票".encode() in result.raw_stdout  # real UTF-8, not \u escapes

    window = await cli("records", "export", "--since", "2024-06-03T09:31+09:00", "--until", "2024-06-03T02:00")
    assert [json.loads(line)["consultation_id"] for line in window.stdout.splitlines()] == ["c2"]


async def test_records_export_csv_puts_the_transcript_in_one_cell(cli: Cli, database_url: str) -> None:
    await write_consultations(database_url)

    result = await cli("records", "export", "--format", "csv")

    assert result.status == 0, result
    assert not result.raw_stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["consultation_id"] for row in rows] == ["c1", "c2"]
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert rows[0]["transcript"] == '[1] resident: 住民票を, 2通\n[2] agent: はい "承知" しました'
    assert rows[0]["note"] == "郵送で対応\n次回は本人確認書類"
    assert (rows[0]["urgent"], rows[0]["waited_s"], rows[0]["agent_username"]) == ("false", "20.0", "agent1")
    assert (rows[1]["booth_id"], rows[1]["answered_at"], rows[1]["transcript"]) == ("", "", "")

    excel = await cli("records", "export", "--format", "csv", "--excel")
    assert excel.raw_stdout.startswith(b"\xef\xbb\xbf")
    assert excel.raw_stdout[3:] == result.raw_stdout


async def test_seed_demo_prints_the_demo_credentials(cli: Cli, tmp_path: Path) -> None:
    result = await cli("db", "seed-demo")

    assert result.status == 0, result
    assert "agent1 / " in result.stdout and "/booth/b_" in result.stdout
    assert (tmp_path / "data" / "demo-credentials.json").exists()


async def test_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = cli_env(tmp_path, "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")

    result = await run_cli(env, "user", "list")

    assert_user_error(result, "cannot use the database")


async def test_cli_waits_for_a_server_that_is_writing_to_sqlite(tmp_path: Path) -> None:
    """The server holds a write transaction; the CLI waits for it (busy timeout) instead of failing."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'madoguchi.db'}"
    server = await open_database(url)
    try:
        await Municipalities(server).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
        hold_s = 4.0
        async with server.engine.begin() as connection:  # BEGIN IMMEDIATE: the write lock is ours
            await connection.execute(text("UPDATE municipalities SET name_en = 'Shiomi' WHERE id = 'shiomi'"))
            started = time.monotonic()
            cli_run = asyncio.create_task(run_cli(cli_env(tmp_path / "data", url), "booth", "add", "X", "--json"))
            await asyncio.sleep(hold_s)  # the CLI starts in about a second and then has to wait for us
            assert not cli_run.done()
        result = await cli_run
        elapsed = time.monotonic() - started
    finally:
        await server.close()
    assert result.status == 0, result
    assert elapsed >= hold_s
    assert set(json.loads(result.stdout)) == {"booth_id", "token", "url"}
