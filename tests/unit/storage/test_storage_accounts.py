"""Staff accounts and console sessions on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from madoguchi.storage.accounts import Accounts, StaffRecord
from madoguchi.storage.db import Database
from madoguchi.storage.errors import DuplicateUsername, InvalidValue, UnknownMunicipality, UnknownUser
from madoguchi.storage.models import Staff, StaffMunicipality, WebSession
from madoguchi.storage.testing import fast_password_hasher

NOW = datetime(2024, 6, 3, 0, 30, tzinfo=UTC)
PASSWORD = "umi-no-mieru-machi"


async def _agent(accounts: Accounts, username: str = "tanaka", **overrides: object) -> StaffRecord:
    options: dict[str, object] = {
        "role": "agent",
        "municipality_ids": ["shiomi"],
        "routes": ["resident_records", "tax"],
        "languages": ["ja", "en"],
        "display_name": "田中 花子",
    }
    options.update(overrides)
    return await accounts.add_user(username, PASSWORD, **options)  # type: ignore[arg-type]


async def test_added_user_is_stored_with_an_argon2_hash_and_found_again(
    db: Database, town: str, accounts: Accounts
) -> None:
    user = await _agent(accounts, municipality_ids=["shiomi", "ishinomori"])

    assert user.id.startswith("u_")
    assert user == StaffRecord(
        id=user.id,
        username="tanaka",
        display_name="田中 花子",
        role="agent",
        municipality_ids=("ishinomori", "shiomi"),
        routes=("resident_records", "tax"),
        languages=("ja", "en"),
    )
    async with db.sessions() as session:
        stored = await session.scalar(select(Staff.password_hash).where(Staff.id == user.id))
        memberships = set((await session.scalars(select(StaffMunicipality.municipality_id))).all())
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert memberships == {"shiomi", "ishinomori"}
    assert await accounts.get(user.id) == user
    assert await accounts.by_username("tanaka") == user
    assert await accounts.get("u_missing") is None


async def test_the_real_default_hasher_is_argon2id(db: Database, town: str) -> None:
    accounts = Accounts(db)
    user = await accounts.add_user(
        "sato", PASSWORD, role="supervisor", municipality_ids=["shiomi"], routes=["*"], languages=["ja"]
    )
    assert await accounts.authenticate("sato", PASSWORD) == user
    assert user.display_name == "sato"
    assert user.serves_route("water_sewer")


async def test_authenticate_accepts_only_the_right_password(town: str, accounts: Accounts) -> None:
    user = await _agent(accounts)

    assert await accounts.authenticate("tanaka", PASSWORD) == user
    assert await accounts.authenticate("tanaka", PASSWORD + "x") is None
    assert await accounts.authenticate("tanaka", "") is None
    assert await accounts.authenticate("TANAKA", PASSWORD) is None


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


async def test_an_unknown_username_costs_a_password_verification_too(db: Database, town: str) -> None:
    hasher = CountingHasher()
    accounts = Accounts(db, hasher=hasher)

    assert await accounts.authenticate("nobody", PASSWORD) is None
    assert hasher.verifications == 1


async def test_a_disabled_user_cannot_log_in_and_loses_its_sessions(town: str, accounts: Accounts) -> None:
    user = await _agent(accounts)
    token, _csrf = await accounts.create_session(user.id, 3600, NOW)

    await accounts.set_disabled("tanaka", True)

    assert await accounts.authenticate("tanaka", PASSWORD) is None
    assert await accounts.session(token, NOW) is None
    with pytest.raises(InvalidValue, match="disabled"):
        await accounts.create_session(user.id, 3600, NOW)
    assert [(u.username, disabled) for u, disabled in await accounts.list()] == [("tanaka", True)]

    await accounts.set_disabled("tanaka", False)
    assert await accounts.authenticate("tanaka", PASSWORD) == user


async def test_bad_users_are_refused_with_clear_errors(town: str, accounts: Accounts) -> None:
    await _agent(accounts)
    with pytest.raises(DuplicateUsername, match="tanaka"):
        await _agent(accounts)
    with pytest.raises(UnknownMunicipality, match="atlantis"):
        await _agent(accounts, "suzuki", municipality_ids=["shiomi", "atlantis"])
    with pytest.raises(InvalidValue, match="role"):
        await _agent(accounts, "suzuki", role="mayor")
    with pytest.raises(InvalidValue, match="username"):
        await _agent(accounts, "bad name")
    with pytest.raises(InvalidValue, match="routes"):
        await _agent(accounts, "suzuki", routes=[])
    with pytest.raises(InvalidValue, match="languages"):
        await _agent(accounts, "suzuki", languages=[" "])
    with pytest.raises(InvalidValue, match="at least 8"):
        await accounts.add_user(
            "suzuki", "short", role="agent", municipality_ids=["shiomi"], routes=["*"], languages=["ja"]
        )
    # None of the refused users was half-created.
    assert [u.username for u, _ in await accounts.list()] == ["tanaka"]


async def test_session_round_trip_stores_only_the_token_hash(db: Database, town: str, accounts: Accounts) -> None:
    user = await _agent(accounts)

    token, csrf = await accounts.create_session(user.id, 600, NOW)

    assert len(token) >= 40 and len(csrf) >= 40 and token != csrf
    assert await accounts.session(token, NOW) == (user, csrf)
    assert await accounts.session(token + "x", NOW) is None
    async with db.sessions() as session:
        stored = (await session.scalars(select(WebSession.token_hash))).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


async def test_session_expires_after_its_lifetime(town: str, accounts: Accounts) -> None:
    user = await _agent(accounts)
    token, _ = await accounts.create_session(user.id, 600, NOW)

    assert await accounts.session(token, NOW + timedelta(seconds=599)) is not None
    assert await accounts.session(token, NOW + timedelta(seconds=600)) is None
    assert await accounts.purge_expired_sessions(NOW + timedelta(seconds=600)) == 1
    assert await accounts.session(token, NOW) is None


async def test_deleted_session_is_gone_and_others_stay(town: str, accounts: Accounts) -> None:
    user = await _agent(accounts)
    first, _ = await accounts.create_session(user.id, 600, NOW)
    second, _ = await accounts.create_session(user.id, 600, NOW)

    await accounts.delete_session(first)

    assert await accounts.session(first, NOW) is None
    assert await accounts.session(second, NOW) is not None


async def test_new_password_replaces_the_old_and_ends_sessions(town: str, accounts: Accounts) -> None:
    user = await _agent(accounts)
    token, _ = await accounts.create_session(user.id, 600, NOW)

    await accounts.set_password("tanaka", "a-new-long-password")

    assert await accounts.authenticate("tanaka", PASSWORD) is None
    assert await accounts.authenticate("tanaka", "a-new-long-password") == user
    assert await accounts.session(token, NOW) is None
    with pytest.raises(UnknownUser):
        await accounts.set_password("nobody", "a-new-long-password")


async def test_weak_stored_hashes_are_upgraded_on_login(db: Database, town: str) -> None:
    weak = Accounts(db, hasher=fast_password_hasher())
    await _agent(weak)
    stronger = Accounts(db, hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))

    assert await stronger.authenticate("tanaka", PASSWORD) is not None

    async with db.sessions() as session:
        stored = await session.scalar(select(Staff.password_hash))
    assert stored is not None and "m=2048,t=2" in stored
    assert await stronger.authenticate("tanaka", PASSWORD) is not None


async def test_a_name_in_latin_letters_is_kept_changed_and_checked(db: Database, town: str, accounts: Accounts) -> None:
    """What a resident who does not read Japanese sees of the agent (UX round 12, migration
    0015_chat10_staff_latin_name): given, changed, cleared; anything but letters, spaces, '.', "'" and '-' is
    refused (it is shown to residents)."""
    user = await _agent(accounts, latin_name="  Hanako   Tanaka ")
    assert user.latin_name == "Hanako Tanaka"
    assert (await accounts.get(user.id)) == user
    assert (await accounts.update("tanaka", latin_name="Nguyễn Thị Lan")).latin_name == "Nguyễn Thị Lan"
    assert (await accounts.update("tanaka", languages=["ja"])).latin_name == "Nguyễn Thị Lan"  # None keeps it
    assert (await accounts.update("tanaka", latin_name="")).latin_name == ""
    for bad in ("田中 花子", "Hanako 090-1234-5678", "<b>Hanako</b>"):
        with pytest.raises(InvalidValue):
            await accounts.update("tanaka", latin_name=bad)
    with pytest.raises(InvalidValue):
        await _agent(accounts, "sato", latin_name="佐藤")


async def test_only_a_real_change_of_rights_ends_the_sessions(town: str, accounts: Accounts) -> None:
    """The admin page sends every field on each save: saving the same role, routes and languages again (in any
    order), or only a new Latin name, must not cut an agent off mid-call; a new language, route or role does."""
    user = await _agent(accounts)
    token, _ = await accounts.create_session(user.id, 3600, NOW)

    await accounts.update("tanaka", role="agent", routes=["tax", "resident_records"], languages=["en", "ja"])
    await accounts.update("tanaka", latin_name="Hanako Tanaka")
    assert await accounts.session(token, NOW) is not None

    for change in ({"languages": ["vi"]}, {"routes": ["tax"]}, {"role": "supervisor"}):
        token, _ = await accounts.create_session(user.id, 3600, NOW)
        await accounts.update("tanaka", **change)  # type: ignore[arg-type]
        assert await accounts.session(token, NOW) is None, change
