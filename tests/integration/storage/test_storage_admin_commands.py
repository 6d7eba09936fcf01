"""The admin commands in-process on SQLite and PostgreSQL: every refusal is one line and exit status 2."""

from __future__ import annotations

import json

import pytest

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database
from madoguchi.storage.testing import fast_password_hasher

from .conftest import Cli, add_town, assert_user_error

ADD_AGENT = ("user", "add", "tanaka", "--role", "agent", "--password-stdin")


async def test_user_add_mistakes_get_one_clear_line(admin: Cli, database_url: str) -> None:
    assert_user_error(await admin(*ADD_AGENT, stdin="long-enough\n"), "no municipality")
    await add_town(database_url)
    assert_user_error(await admin(*ADD_AGENT, stdin="\n"), "empty")
    assert_user_error(await admin(*ADD_AGENT, stdin=""), "empty")
    assert_user_error(await admin(*ADD_AGENT, stdin="short\n"), "at least 8")
    assert_user_error(await admin(*ADD_AGENT, "--routes", "tax,fishing", stdin="long-enough\n"), "fishing")
    assert_user_error(await admin(*ADD_AGENT, "--routes", ",", stdin="long-enough\n"), "--routes")
    assert_user_error(await admin(*ADD_AGENT, "--languages", "日本語", stdin="long-enough\n"), "--languages")
    assert_user_error(await admin(*ADD_AGENT, "--municipality", "atlantis", stdin="long-enough\n"), "atlantis")
    assert_user_error(
        await admin("user", "add", "bad name", "--role", "agent", "--password-stdin", stdin="long-enough\n"), "username"
    )

    assert (await admin(*ADD_AGENT, stdin="long-enough\n")).status == 0
    assert_user_error(await admin(*ADD_AGENT, stdin="long-enough\n"), "already exists")
    await add_town(database_url, "ishinomori")
    assert_user_error(
        await admin("user", "add", "suzuki", "--role", "agent", "--password-stdin", stdin="long-enough\n"),
        "several municipalities",
    )


async def test_unknown_role_is_refused_by_the_argument_parser(admin: Cli) -> None:
    result = await admin("user", "add", "tanaka", "--role", "mayor", "--password-stdin", stdin="long-enough\n")
    assert result.status == 2 and "invalid choice" in result.stderr and "Traceback" not in result.stderr


async def test_user_add_defaults_to_all_routes_and_japanese(admin: Cli, database_url: str) -> None:
    await add_town(database_url)

    result = await admin("user", "add", "sato", "--role", "supervisor", "--password-stdin", stdin="long-enough\r\n")

    assert result.status == 0, result
    db = Database(database_url)
    try:
        user = await Accounts(db).authenticate("sato", "long-enough")
    finally:
        await db.close()
    assert user is not None and user.routes == ("*",) and user.languages == ("ja",) and user.role == "supervisor"


async def test_password_disable_and_enable(admin: Cli, database_url: str) -> None:
    await add_town(database_url)
    assert (await admin(*ADD_AGENT, stdin="long-enough\n")).status == 0

    assert (await admin("user", "password", "tanaka", "--password-stdin", stdin="another-long-one\n")).status == 0
    assert (await admin("user", "disable", "tanaka")).status == 0
    listing = await admin("user", "list")
    db = Database(database_url)
    try:
        accounts = Accounts(db, hasher=fast_password_hasher())
        assert await accounts.authenticate("tanaka", "another-long-one") is None
        assert (await admin("user", "enable", "tanaka")).status == 0
        assert await accounts.authenticate("tanaka", "another-long-one") is not None
        assert await accounts.authenticate("tanaka", "long-enough") is None
    finally:
        await db.close()
    assert "disabled" in listing.stdout
    assert_user_error(await admin("user", "disable", "nobody"), "nobody")
    assert_user_error(await admin("user", "password", "tanaka", "--password-stdin", stdin="x\n"), "at least 8")
    weak = await admin("user", "password", "tanaka", "--password-stdin", stdin="Password1!\n")
    assert_user_error(weak, "most common")  # session 16 (F5)


async def test_booth_commands_and_their_mistakes(admin: Cli, database_url: str) -> None:
    assert_user_error(await admin("booth", "add", "X"), "no municipality")
    await add_town(database_url)

    added = await admin("booth", "add", "凪島公民館ブース", "--location", "1階ロビー")

    assert added.status == 0, added
    assert "凪島公民館ブース" in added.stdout and "/booth/b_" in added.stdout and "#token=" in added.stdout
    db = Database(database_url)
    try:
        [booth] = await Booths(db).list()
        assert (await admin("booth", "revoke", booth.id)).status == 0
        assert (await Booths(db).list())[0].revoked
    finally:
        await db.close()
    assert "revoked" in (await admin("booth", "list")).stdout
    assert_user_error(await admin("booth", "add", "X", "--place", "nowhere"), "nowhere")
    assert_user_error(await admin("booth", "add", " "), "empty")
    assert_user_error(await admin("booth", "add", "X", "--municipality", "atlantis"), "atlantis")
    assert_user_error(await admin("booth", "revoke", "b_missing"), "b_missing")


async def test_municipality_and_place_commands(admin: Cli) -> None:
    added = await admin("municipality", "add", "shiomi", "--name-ja", "汐見町", "--name-en", "Shiomi Town")
    place = await admin("place", "add", "post", "--name", "汐見郵便局", "--kind", "post_office")
    listing = await admin("municipality", "list")

    assert (added.status, place.status, listing.status) == (0, 0, 0)
    assert "汐見町" in listing.stdout and "post (汐見郵便局)" in listing.stdout
    assert_user_error(
        await admin("municipality", "add", "shiomi", "--name-ja", "汐見町", "--name-en", "Shiomi"), "already exists"
    )
    assert_user_error(await admin("municipality", "add", "汐見", "--name-ja", "a", "--name-en", "b"), "letters")
    assert_user_error(await admin("place", "add", "post", "--name", "X", "--kind", "post_office"), "already exists")


async def test_export_mistakes(admin: Cli) -> None:
    bad_time = await admin("records", "export", "--since", "yesterday")
    assert bad_time.status == 2 and "ISO 8601" in bad_time.stderr and "Traceback" not in bad_time.stderr
    assert_user_error(await admin("records", "export", "--excel"), "--excel")
    assert_user_error(await admin("records", "export", "--since", "2024-06-02", "--until", "2024-06-01"), "--until")


async def test_empty_export_is_empty_jsonl_and_a_header_only_csv(admin: Cli) -> None:
    jsonl = await admin("records", "export")
    csv_result = await admin("records", "export", "--format", "csv")

    assert (jsonl.status, jsonl.stdout) == (0, "")
    assert csv_result.status == 0 and csv_result.stdout.startswith("consultation_id,municipality_id,")
    assert csv_result.stdout.count("\r\n") == 1


async def test_seed_demo_twice_prints_the_same_credentials(admin: Cli) -> None:
    first = await admin("db", "seed-demo")
    second = await admin("db", "seed-demo")

    assert (first.status, second.status) == (0, 0)
    assert first.stdout == second.stdout and "supervisor1 / " in first.stdout


@pytest.mark.parametrize("args", [("user", "list"), ("booth", "list"), ("municipality", "list"), ("db", "upgrade")])
async def test_listings_work_on_an_empty_database(admin: Cli, args: tuple[str, ...]) -> None:
    result = await admin(*args)
    assert result.status == 0, result
    assert result.stderr == ""


async def test_booth_rename_move_and_rotate_token(admin: Cli, database_url: str) -> None:
    await add_town(database_url)
    await add_town(database_url, "nagi")
    first = await admin("booth", "add", "港ブース", "--municipality", "shiomi", "--json")
    assert first.status == 0, first
    booth_id = json.loads(first.stdout)["booth_id"]
    old_token = json.loads(first.stdout)["token"]

    # ux7 item 7: the same name twice in one municipality is refused (another town may have it)
    assert_user_error(await admin("booth", "add", "港ブース", "--municipality", "shiomi"), "already exists")
    assert (await admin("booth", "add", "港ブース", "--municipality", "nagi")).status == 0
    other = json.loads((await admin("booth", "add", "桟橋ブース", "--municipality", "shiomi", "--json")).stdout)
    assert_user_error(await admin("booth", "rename", other["booth_id"], "港ブース"), "already exists")
    assert (await admin("booth", "rename", booth_id, "港ブース")).status == 0  # its own name again
    assert (await admin("booth", "rename", booth_id, "港の新ブース")).status == 0
    assert (await admin("booth", "move", booth_id, "shiomi-post")).status == 0
    rotated = await admin("booth", "rotate-token", booth_id, "--json")
    assert rotated.status == 0, rotated
    new_token = json.loads(rotated.stdout)["token"]
    db = Database(database_url)
    try:
        booth = await Booths(db).get(booth_id)
        assert booth is not None and booth.name == "港の新ブース" and booth.place_id == "shiomi-post"
        assert await Booths(db).by_token(old_token) is None and await Booths(db).by_token(new_token) is not None
    finally:
        await db.close()
    assert (await admin("booth", "move", booth_id, "none")).status == 0
    assert_user_error(await admin("booth", "move", booth_id, "nagi-post"), "nagi-post")  # another town's place
    assert_user_error(await admin("booth", "rename", booth_id, " "), "empty")
    assert_user_error(await admin("booth", "rename", "b_missing", "X"), "b_missing")
    assert (await admin("booth", "revoke", booth_id)).status == 0
    assert_user_error(await admin("booth", "rotate-token", booth_id), "revoked")


async def test_user_set_changes_role_routes_and_languages(admin: Cli, database_url: str) -> None:
    await add_town(database_url)
    assert (await admin(*ADD_AGENT, stdin="long-enough\n")).status == 0

    changed = await admin("user", "set", "tanaka", "--role", "supervisor", "--routes", "tax", "--languages", "ja,vi")

    assert changed.status == 0, changed
    db = Database(database_url)
    try:
        user = await Accounts(db, hasher=fast_password_hasher()).authenticate("tanaka", "long-enough")
    finally:
        await db.close()
    assert user is not None and (user.role, user.routes, user.languages) == ("supervisor", ("tax",), ("ja", "vi"))
    assert_user_error(await admin("user", "set", "tanaka", "--routes", "fishing"), "fishing")
    assert_user_error(await admin("user", "set", "nobody", "--role", "agent"), "nobody")


async def test_user_add_and_set_take_a_name_in_latin_letters(admin: Cli, database_url: str) -> None:
    """Issue #11: the CLI covers what the admin page does, the name residents on a non-Japanese page read too."""
    await add_town(database_url)
    added = await admin(*ADD_AGENT, "--display-name", "窓口 二葉", "--latin-name", " Futaba ", stdin="long-enough\n")
    assert added.status == 0, added
    assert (await _latin_name(database_url)) == "Futaba"
    changed = await admin("user", "set", "tanaka", "--latin-name", "Futaba Madoguchi")
    assert changed.status == 0, changed
    assert (await _latin_name(database_url)) == "Futaba Madoguchi"
    assert_user_error(await admin("user", "set", "tanaka", "--latin-name", "二葉"), "Latin")
    assert (await _latin_name(database_url)) == "Futaba Madoguchi"  # nothing changed
    assert (await admin("user", "set", "tanaka", "--role", "supervisor")).status == 0  # left out: kept
    assert (await _latin_name(database_url)) == "Futaba Madoguchi"
    assert (await admin("user", "set", "tanaka", "--latin-name", "")).status == 0  # cleared
    assert (await _latin_name(database_url)) == ""
    db = Database(database_url)
    try:
        entries = await AuditLog(db).recent()
    finally:
        await db.close()
    updates = [e.detail for e in reversed(entries) if e.action == "user.update"]
    assert [d["latin_name"] for d in updates] == ["Futaba Madoguchi", "Futaba Madoguchi", ""]


async def _latin_name(database_url: str) -> str:
    db = Database(database_url)
    try:
        user = await Accounts(db).by_username("tanaka")
    finally:
        await db.close()
    assert user is not None
    return user.latin_name
