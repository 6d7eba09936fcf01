"""Staff accounts, passwords and console login sessions.

Passwords are stored only as argon2 hashes; hashing and verifying take a quarter second of CPU and 64 MiB, so they
run on the password threads (:mod:`madoguchi.storage.password_work`: their own few threads and a short line, so a
login flood neither stalls the event loop nor waits in front of the chatbot's work; a login past the line is
refused with :class:`~madoguchi.storage.password_work.PasswordWorkBusy`). An unknown username costs the
same verify as a wrong password, so response times do not reveal which usernames exist.

Session and CSRF tokens are random; only the SHA-256 of the session token is stored, so a copy of the database
does not let anyone log in.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.domain.password_policy import MIN_LENGTH, weak_password_reason
from madoguchi.domain.privacy import mask_pii
from madoguchi.storage.db import Database
from madoguchi.storage.errors import (
    DuplicateUsername,
    InvalidValue,
    UnknownMunicipality,
    UnknownUser,
    WeakPassword,
    refuse_personal_number,
)
from madoguchi.storage.models import ROLES, Municipality, Staff, StaffMunicipality, WebSession
from madoguchi.storage.password_work import PasswordWork

T = TypeVar("T")
MIN_PASSWORD_LENGTH = MIN_LENGTH


def _refuse_weak(password: str, username: str) -> None:
    """Too short, common or simple passwords are refused (:mod:`madoguchi.domain.password_policy`)."""
    reason = weak_password_reason(password, username)
    if reason is not None:
        raise WeakPassword(reason)


ALL_ROUTES = "*"
_USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """What the rest of the program knows about a staff member (never the password hash)."""

    id: str
    username: str
    display_name: str
    role: str
    municipality_ids: tuple[str, ...]
    routes: tuple[str, ...]
    languages: tuple[str, ...]
    latin_name: str = ""
    """The name in Latin letters for residents who do not read Japanese ("" when none was given)."""

    def serves_route(self, route: str) -> bool:
        return ALL_ROUTES in self.routes or route in self.routes

    def audit_added(self) -> dict[str, str | list[str]]:
        """The audit entry ``user.add`` says of this account (the CLI and /admin write the same)."""
        return {"staff_id": self.id, "username": self.username, "role": self.role, "routes": list(self.routes)}

    def audit_updated(self) -> dict[str, str | list[str]]:
        """The audit entry ``user.update`` says of this account as changed (the CLI and /admin write the same)."""
        return {
            "username": self.username,
            "role": self.role,
            "routes": list(self.routes),
            "languages": list(self.languages),
            "latin_name": self.latin_name,
        }


_LATIN_PUNCTUATION = frozenset(" .'-")


def clean_latin_name(text: str) -> str:
    """A staff member's name in Latin letters (any Latin letter, with Vietnamese or Portuguese marks; spaces,
    . ' -; up to 100), shown to residents who do not read Japanese; "" clears it. Anything else is refused: it is
    what a Vietnamese resident reads."""
    name = " ".join(unicodedata.normalize("NFC", text).split())
    letters = [c for c in name if c not in _LATIN_PUNCTUATION]
    latin = all(unicodedata.name(c, "").startswith("LATIN ") for c in letters)
    if name and (not latin or not letters or len(name) > 100):
        raise InvalidValue(
            "the name in Latin letters may use only letters, spaces, '.', \"'\" and '-' (up to 100)", field="latin_name"
        )
    return name


def hash_token(token: str) -> str:
    """The stored form of a bearer token (session or booth device token)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


def _clean_list(what: str, values: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in cleaned:
            cleaned.append(value)
    if not cleaned:
        raise InvalidValue(f"{what} must name at least one entry", field=what)
    return cleaned


WILDCARD_ALONE = (
    'routes: "*" (every route) stands alone; give either ["*"] or the route ids, not both '
    "(a wildcard beside a named route reads as if the person served only that route)"
)


def _clean_routes(routes: Iterable[str]) -> list[str]:
    """The routes as :func:`_clean_list` cleans them; ``"*"`` beside a named route is refused, not read as either
    (the admin meant one or the other, and a list that says both misleads whoever reads it later)."""
    cleaned = _clean_list("routes", routes)
    if ALL_ROUTES in cleaned and len(cleaned) > 1:
        raise InvalidValue(WILDCARD_ALONE, field="routes")
    return cleaned


class Accounts:
    def __init__(self, db: Database, *, hasher: PasswordHasher | None = None, work: PasswordWork | None = None) -> None:
        """``work``: the server's password threads (``create_app``); without them (the CLI, tests of this class)
        each hash runs in a thread of the default pool."""
        self._db = db
        self._hasher = hasher or PasswordHasher()
        self._work = work
        self._dummy_hash: str | None = None

    async def _hash_work(self, call: Callable[..., T], *args: object) -> T:
        """A hash for a signed-in admin or the CLI: waits its turn."""
        if self._work is None:
            return await asyncio.to_thread(call, *args)
        return await self._work.run(call, *args)

    async def _login_work(self, call: Callable[..., T], *args: object) -> T:
        """A hash for a login: refused at once (PasswordWorkBusy) when the password threads' line is full."""
        if self._work is None:
            return await asyncio.to_thread(call, *args)
        return await self._work.admit(call, *args)

    # -- users -----------------------------------------------------------------------------------------

    async def add_user(
        self,
        username: str,
        password: str,
        *,
        role: str,
        municipality_ids: Sequence[str],
        routes: Sequence[str],
        languages: Sequence[str],
        display_name: str | None = None,
        latin_name: str = "",
        now: datetime | None = None,
    ) -> StaffRecord:
        refuse_personal_number("the username", username, field="username")
        refuse_personal_number("the display name", display_name or "", field="display_name")
        latin = clean_latin_name(latin_name)
        if not _USERNAME_PATTERN.fullmatch(username):
            raise InvalidValue(
                f"username must be 1..64 letters, digits, '.', '_' or '-' (starting with a letter or digit), "
                f"got {username!r}",
                field="username",
            )
        if role not in ROLES:
            raise InvalidValue(f"role must be one of {', '.join(ROLES)}, got {role!r}", field="role")
        _refuse_weak(password, username)
        municipalities = _clean_list("municipality_ids", municipality_ids)
        route_list = _clean_routes(routes)
        language_list = _clean_list("languages", languages)
        name = mask_pii((display_name or "").strip()).text or username  # shown to residents: free text too

        password_hash = await self._hash_work(self._hasher.hash, password)
        staff_id = new_id("u_")
        async with self._db.transaction() as session:
            if await session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
                raise DuplicateUsername(username)
            for municipality_id in municipalities:
                if await session.get(Municipality, municipality_id) is None:
                    raise UnknownMunicipality(municipality_id)
            session.add(
                Staff(
                    id=staff_id,
                    username=username,
                    display_name=name,
                    latin_name=latin,
                    password_hash=password_hash,
                    role=role,
                    routes=route_list,
                    languages=language_list,
                    created_at=now or datetime.now(UTC),
                    disabled=False,
                )
            )
            await session.flush()
            session.add_all(StaffMunicipality(staff_id=staff_id, municipality_id=m) for m in municipalities)
        return StaffRecord(
            id=staff_id,
            username=username,
            display_name=name,
            role=role,
            municipality_ids=tuple(sorted(municipalities)),
            routes=tuple(route_list),
            languages=tuple(language_list),
            latin_name=latin,
        )

    async def get(self, staff_id: str) -> StaffRecord | None:
        async with self._db.read() as session:
            staff = await session.get(Staff, staff_id)
            return None if staff is None else await _record(session, staff)

    async def by_username(self, username: str) -> StaffRecord | None:
        async with self._db.read() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            return None if staff is None else await _record(session, staff)

    async def list(self) -> builtins.list[tuple[StaffRecord, bool]]:
        """Every account with its ``disabled`` flag, ordered by username."""
        async with self._db.read() as session:
            rows = (await session.scalars(select(Staff).order_by(Staff.username))).all()
            return [(await _record(session, staff), staff.disabled) for staff in rows]

    async def members_of(self, municipality_id: str, roles: Iterable[str]) -> builtins.list[tuple[str, str]]:
        """``(id, display name)`` of the town's enabled accounts of these roles, in one query (the supervisors' staff
        list reads it every half minute; :meth:`list` asks once per account)."""
        query = (
            select(Staff.id, Staff.display_name)
            .join(StaffMunicipality, StaffMunicipality.staff_id == Staff.id)
            .where(
                StaffMunicipality.municipality_id == municipality_id,
                Staff.disabled.is_(False),
                Staff.role.in_(builtins.list(roles)),
            )
            .order_by(Staff.display_name, Staff.id)
        )
        async with self._db.read() as session:
            return [(row.id, row.display_name) for row in await session.execute(query)]

    async def set_disabled(self, username: str, disabled: bool) -> None:
        """Lock (or unlock) an account; a locked account cannot log in and its sessions stop working."""
        async with self._db.transaction() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            if staff is None:
                raise UnknownUser(username)
            staff.disabled = disabled
            if disabled:
                await session.execute(delete(WebSession).where(WebSession.staff_id == staff.id))

    async def update(
        self,
        username: str,
        *,
        role: str | None = None,
        routes: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        latin_name: str | None = None,
    ) -> StaffRecord:
        """Change what a staff member does (None keeps a field); a new role, routes or languages apply from their
        next login or reconnect, so their open sessions end when one of them really changes (the open console is told,
        ``access.revoked``, and closed: a case in a language they no longer speak is not offered to it); saving the
        same rights again ends nothing. A new Latin name shows from their next call."""
        latin = None if latin_name is None else clean_latin_name(latin_name)
        if role is not None and role not in ROLES:
            raise InvalidValue(f"role must be one of {', '.join(ROLES)}, got {role!r}", field="role")
        route_list = None if routes is None else _clean_routes(routes)
        language_list = None if languages is None else _clean_list("languages", languages)
        async with self._db.transaction() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            if staff is None:
                raise UnknownUser(username)
            # the admin page sends every field on each save: only a real change of rights ends the sessions (a
            # new Latin name, or the same routes saved again, must not cut an agent off in the middle of a call)
            rights_changed = (
                (role is not None and role != staff.role)
                or (route_list is not None and set(route_list) != set(staff.routes))
                or (language_list is not None and set(language_list) != set(staff.languages))
            )
            if role is not None:
                staff.role = role
            if route_list is not None:
                staff.routes = route_list
            if language_list is not None:
                staff.languages = language_list
            if latin is not None:
                staff.latin_name = latin
            if rights_changed:
                await session.execute(delete(WebSession).where(WebSession.staff_id == staff.id))
            await session.flush()
            return await _record(session, staff)

    async def set_password(self, username: str, password: str) -> None:
        _refuse_weak(password, username)
        password_hash = await self._hash_work(self._hasher.hash, password)
        async with self._db.transaction() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            if staff is None:
                raise UnknownUser(username)
            staff.password_hash = password_hash
            await session.execute(delete(WebSession).where(WebSession.staff_id == staff.id))

    async def authenticate(self, username: str, password: str) -> StaffRecord | None:
        """The account if ``password`` is right and the account is not disabled, else None. Raises
        :class:`~madoguchi.storage.password_work.PasswordWorkBusy` when the password threads are full."""
        async with self._db.read() as session:
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            stored_hash = staff.password_hash if staff is not None else None
            staff_id = staff.id if staff is not None else None
        if stored_hash is None or staff_id is None:
            await self._login_work(self._verify, await self._dummy(), password)
            return None
        if not await self._login_work(self._verify, stored_hash, password):
            return None
        if self._hasher.check_needs_rehash(stored_hash):  # reads the hash's parameters: no hashing
            rehashed = await self._hash_work(self._hasher.hash, password)
            async with self._db.transaction() as session:
                current = await session.get(Staff, staff_id)
                if current is not None and current.password_hash == stored_hash:
                    current.password_hash = rehashed
        async with self._db.read() as session:
            staff = await session.get(Staff, staff_id)
            if staff is None or staff.disabled:
                return None
            return await _record(session, staff)

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._login_work(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash

    # -- console sessions --------------------------------------------------------------------------------

    async def create_session(self, staff_id: str, ttl_s: float, now: datetime) -> tuple[str, str]:
        """A new login session: returns ``(session token, csrf token)``; only the token's hash is stored."""
        if ttl_s <= 0:
            raise InvalidValue("session lifetime must be positive")
        token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        async with self._db.transaction() as session:
            staff = await session.get(Staff, staff_id)
            if staff is None:
                raise UnknownUser(staff_id)
            if staff.disabled:
                raise InvalidValue(f"user {staff.username!r} is disabled")
            session.add(
                WebSession(
                    token_hash=hash_token(token),
                    staff_id=staff_id,
                    csrf_token=csrf_token,
                    created_at=now,
                    expires_at=now + timedelta(seconds=ttl_s),
                )
            )
        return token, csrf_token

    async def session(self, token: str, now: datetime) -> tuple[StaffRecord, str] | None:
        """The account and CSRF token of a live session, or None (unknown, expired or disabled account)."""
        async with self._db.read() as session:
            row = await session.get(WebSession, hash_token(token))
            if row is None or row.expires_at <= now:
                return None
            staff = await session.get(Staff, row.staff_id)
            if staff is None or staff.disabled:
                return None
            return await _record(session, staff), row.csrf_token

    async def delete_session(self, token: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))

    async def purge_expired_sessions(self, now: datetime) -> int:
        """Delete sessions that expired before ``now``; returns how many."""
        async with self._db.transaction() as session:
            result = await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        count: int = getattr(result, "rowcount", 0) or 0
        return count


async def _record(session: AsyncSession, staff: Staff) -> StaffRecord:
    municipality_ids = (
        await session.scalars(
            select(StaffMunicipality.municipality_id)
            .where(StaffMunicipality.staff_id == staff.id)
            .order_by(StaffMunicipality.municipality_id)
        )
    ).all()
    return StaffRecord(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        municipality_ids=tuple(municipality_ids),
        routes=tuple(staff.routes),
        languages=tuple(staff.languages),
        latin_name=staff.latin_name or "",
    )
