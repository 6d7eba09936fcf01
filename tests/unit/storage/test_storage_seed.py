"""The demo town seed: complete on first start, unchanged on every later start, secrets kept 0600."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.seed import CREDENTIALS_FILE, print_demo_credentials, seed_demo


async def test_first_seed_creates_the_town_booths_and_accounts(db: Database, tmp_path: Path) -> None:
    credentials = await seed_demo(db, tmp_path)

    municipalities = Municipalities(db)
    town = await municipalities.get("shiomi")
    assert town is not None and (town.name_ja, town.name_en) == ("汐見町", "Shiomi Town")
    places = {p.name: p.kind for p in await municipalities.places("shiomi")}
    assert places == {"本庁": "main_office", "汐見郵便局": "post_office", "凪島公民館": "community_centre"}

    booths = Booths(db)
    assert sorted(b.name for b in await booths.list()) == sorted(["汐見郵便局ブース", "凪島公民館ブース"])
    for demo_booth in credentials.booths:
        assert demo_booth.token is not None
        found = await booths.by_token(demo_booth.token)
        assert found is not None and found.id == demo_booth.booth_id and found.place_name == demo_booth.place
        assert demo_booth.url == f"/booth/{demo_booth.booth_id}#token={demo_booth.token}"

    accounts = Accounts(db)
    users = {a.username: a for a in credentials.accounts}
    assert set(users) == {"agent1", "agent2", "supervisor1", "admin"}
    for account in credentials.accounts:
        assert account.password is not None
        user = await accounts.authenticate(account.username, account.password)
        assert user is not None and user.role == account.role and user.municipality_ids == ("shiomi",)
    agent1 = await accounts.by_username("agent1")
    agent2 = await accounts.by_username("agent2")
    assert agent1 is not None and agent1.routes == ("*",) and agent1.languages == ("ja", "en")
    assert agent2 is not None and agent2.routes == ("resident_records", "tax", "insurance_pension")
    assert agent2.languages == ("ja",)
    assert users["supervisor1"].role == "supervisor" and users["admin"].role == "admin"


async def test_credentials_file_is_private_and_a_second_seed_changes_nothing(db: Database, tmp_path: Path) -> None:
    first = await seed_demo(db, tmp_path)
    path = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert {a["username"]: a["password"] for a in stored["accounts"]} == {
        a.username: a.password for a in first.accounts
    }

    second = await seed_demo(db, tmp_path)

    assert second == first
    assert len(await Booths(db).list()) == 2
    assert len(await Accounts(db).list()) == 4
    assert len(await Municipalities(db).places()) == 3


async def test_reseeding_without_the_file_keeps_accounts_and_says_passwords_are_unknown(
    db: Database, tmp_path: Path
) -> None:
    first = await seed_demo(db, tmp_path)
    (tmp_path / CREDENTIALS_FILE).unlink()

    again = await seed_demo(db, tmp_path)

    assert [a.password for a in again.accounts] == [None] * 4
    assert [b.booth_id for b in again.booths] == [b.booth_id for b in first.booths]
    assert all(b.token is None and b.url is None for b in again.booths)
    assert len(await Accounts(db).list()) == 4
    text = io.StringIO()
    print_demo_credentials(again, base_url="http://localhost:8080", file=text)
    assert "unknown" in text.getvalue()


async def test_printed_credentials_hold_full_kiosk_links(db: Database, tmp_path: Path) -> None:
    credentials = await seed_demo(db, tmp_path)
    text = io.StringIO()

    print_demo_credentials(credentials, base_url="http://localhost:8080/", file=text)

    output = text.getvalue()
    for booth in credentials.booths:
        assert f"http://localhost:8080/booth/{booth.booth_id}#token={booth.token}" in output
    for account in credentials.accounts:
        assert f"{account.username} / {account.password}" in output


async def test_a_password_reset_or_token_rotated_since_is_not_printed_stale(db: Database, tmp_path: Path) -> None:
    """An admin changed agent1's password and rotated one booth's token after the first start: the next start
    must not print the first password and kiosk link, which no longer open anything."""
    first = await seed_demo(db, tmp_path)
    await Accounts(db).set_password("agent1", "a-new-password-from-admin")
    rotated = first.booths[0]
    await Booths(db).rotate_token(rotated.booth_id)

    again = await seed_demo(db, tmp_path)

    passwords = {a.username: a.password for a in again.accounts}
    assert passwords["agent1"] is None
    assert passwords["agent2"] == {a.username: a.password for a in first.accounts}["agent2"]
    tokens = {b.booth_id: b.token for b in again.booths}
    assert tokens[rotated.booth_id] is None
    assert tokens[first.booths[1].booth_id] == first.booths[1].token
    text = io.StringIO()
    print_demo_credentials(again, base_url="http://localhost:8080", file=text)
    assert "changed since" in text.getvalue() and "rotated since" in text.getvalue()
