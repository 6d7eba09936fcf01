"""The demo municipality 汐見町 (Shiomi Town), its booths and staff accounts, for a first start with no setup.

Seeding is idempotent: whatever already exists is kept. Random passwords and booth tokens are made only when an
account or booth is first created, and are kept in ``<data_dir>/demo-credentials.json`` (readable only by its
owner) so every later start can print them again. The database itself never holds them in clear.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths, kiosk_url
from madoguchi.storage.db import Database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.private_files import private_dir

CREDENTIALS_FILE = "demo-credentials.json"
DEMO_MUNICIPALITY = "shiomi"

log = logging.getLogger(__name__)

# id, Japanese name, kind, romaji reading, the name in the other page languages (the kiosk header shows these)
_PLACES: tuple[tuple[str, str, str, str, dict[str, str]], ...] = (
    (
        "honcho",
        "本庁",
        "main_office",
        "Honchō",
        {
            "easy-ja": "役場（やくば）",
            "en": "Shiomi Town Hall",
            "zh": "汐见町政府（本厅）",
            "ko": "시오미초 청사(본청)",
            "vi": "Ủy ban thị trấn Shiomi",
            "pt": "Prefeitura de Shiomi",
            "tl": "Munisipyo ng Shiomi",
            "ne": "शिओमी नगरपालिका कार्यालय",
        },
    ),
    (
        "shiomi-post-office",
        "汐見郵便局",
        "post_office",
        "Shiomi Yūbinkyoku",
        {
            "easy-ja": "汐見郵便局（しおみ ゆうびんきょく）",
            "en": "Shiomi Post Office",
            "zh": "汐见邮局",
            "ko": "시오미 우체국",
            "vi": "Bưu điện Shiomi",
            "pt": "Correios de Shiomi",
            "tl": "Post Office ng Shiomi",
            "ne": "शिओमी हुलाक कार्यालय",
        },
    ),
    (
        "nagishima-community-centre",
        "凪島公民館",
        "community_centre",
        "Nagishima Kōminkan",
        {
            "easy-ja": "凪島公民館（なぎしま こうみんかん）",
            "en": "Nagishima Community Centre",
            "zh": "凪岛公民馆",
            "ko": "나기시마 공민관",
            "vi": "Nhà văn hóa Nagishima",
            "pt": "Centro Comunitário de Nagishima",
            "tl": "Community Center ng Nagishima",
            "ne": "नागिशिमा सामुदायिक भवन",
        },
    ),
)
_BOOTHS = (
    ("汐見郵便局ブース", "shiomi-post-office", "汐見郵便局 窓口の横"),
    ("凪島公民館ブース", "nagishima-community-centre", "凪島公民館 1階ロビー"),
)
# username, role, display name, routes, languages
_STAFF: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("agent1", "agent", "窓口 一郎", ("*",), ("ja", "en")),
    ("agent2", "agent", "窓口 二葉", ("resident_records", "tax", "insurance_pension"), ("ja",)),
    ("supervisor1", "supervisor", "監督 三咲", ("*",), ("ja", "en")),
    ("admin", "admin", "管理 四郎", ("*",), ("ja", "en")),
)


class DemoAccount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    role: str
    display_name: str
    password: str | None
    """None when the account existed before this credentials file did (the password cannot be recovered)."""


class DemoBooth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    booth_id: str
    name: str
    place: str | None
    token: str | None
    url: str | None


class DemoCredentials(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    municipality_id: str
    accounts: tuple[DemoAccount, ...]
    booths: tuple[DemoBooth, ...]

    def lines(self, base_url: str = "") -> list[str]:
        """Plain text for the console on start-up (these are secrets: print them only to the operator)."""
        out = [f"Demo municipality: {self.municipality_id}", "Staff accounts (username / password / role):"]
        for account in self.accounts:
            password = account.password or "(unknown or changed since: set one with `madoguchi user password`)"
            out.append(f"  {account.username} / {password} / {account.role}")
        out.append("Booth kiosk pages (open on the booth's screen):")
        for booth in self.booths:
            url = booth.url or "(token unknown or rotated since: rotate it with `madoguchi booth rotate` or /admin)"
            out.append(f"  {booth.name}: {base_url.rstrip('/') + url if booth.url else url}")
        root = base_url.rstrip("/")
        out.append(f"Agent console (log in as agent1): {root}/login")
        out.append(f"Resident chat from home: {root}/chat")
        out.append(f"Book a time (phone): {root}/book")
        return out


def print_demo_credentials(credentials: DemoCredentials, *, base_url: str = "", file: TextIO | None = None) -> None:
    """Print the demo accounts and kiosk links, e.g. ``base_url="http://localhost:8080"``."""
    out = file if file is not None else sys.stdout
    for line in credentials.lines(base_url):
        print(line, file=out)
    out.flush()


async def _token_rotated(booths: Booths, booth_id: str, token: str) -> bool:
    found = await booths.by_token(token)
    return found is None or found.id != booth_id


def _load(path: Path) -> DemoCredentials | None:
    try:
        return DemoCredentials.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError, ValueError) as error:
        log.warning("ignoring unreadable %s: %s", path, error)
        return None


def _save(path: Path, credentials: DemoCredentials) -> None:
    """Write atomically with mode 0600 (the file holds passwords and booth tokens)."""
    private_dir(path.parent)
    data = json.dumps(credentials.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    fd, tmp_name = tempfile.mkstemp(prefix=".demo-credentials.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    path.chmod(0o600)


async def seed_demo(db: Database, data_dir: Path) -> DemoCredentials:
    """Create whatever of the demo set is missing and return the credentials to print."""
    path = Path(data_dir) / CREDENTIALS_FILE
    previous = _load(path)
    known_passwords = {a.username: a.password for a in previous.accounts} if previous else {}
    known_booths = {b.booth_id: b for b in previous.booths} if previous else {}

    municipalities = Municipalities(db)
    if await municipalities.get(DEMO_MUNICIPALITY) is None:
        await municipalities.add_municipality(DEMO_MUNICIPALITY, name_ja="汐見町", name_en="Shiomi Town")
    for place_id, name, kind, reading, names in _PLACES:
        if await municipalities.get_place(place_id) is None:
            await municipalities.add_place(
                place_id, municipality_id=DEMO_MUNICIPALITY, name=name, kind=kind, names=names, reading=reading
            )

    booths = Booths(db)
    existing_booths = {b.name: b for b in await booths.list(DEMO_MUNICIPALITY) if not b.revoked}
    demo_booths: list[DemoBooth] = []
    for name, place_id, location in _BOOTHS:
        token: str | None
        booth = existing_booths.get(name)
        if booth is None:
            booth, token = await booths.add(
                name, municipality_id=DEMO_MUNICIPALITY, location=location, place_id=place_id
            )
        else:
            known = known_booths.get(booth.id)
            token = known.token if known else None
            if token is not None and await _token_rotated(booths, booth.id, token):
                token = None  # rotated since (admin or `madoguchi booth rotate`): the file's token no longer opens it
        demo_booths.append(
            DemoBooth(
                booth_id=booth.id,
                name=name,
                place=booth.place_name,
                token=token,
                url=kiosk_url(booth.id, token) if token else None,
            )
        )

    accounts = Accounts(db)
    demo_accounts: list[DemoAccount] = []
    for username, role, display_name, routes, languages in _STAFF:
        password: str | None
        if await accounts.by_username(username) is None:
            new_password = secrets.token_urlsafe(12)
            password = new_password
            await accounts.add_user(
                username,
                new_password,
                role=role,
                municipality_ids=[DEMO_MUNICIPALITY],
                routes=routes,
                languages=languages,
                display_name=display_name,
            )
        else:
            password = known_passwords.get(username)
            if password is not None and await accounts.authenticate(username, password) is None:
                password = None  # reset or disabled since: printing the first one would send people to a dead login
        demo_accounts.append(DemoAccount(username=username, role=role, display_name=display_name, password=password))

    credentials = DemoCredentials(
        municipality_id=DEMO_MUNICIPALITY, accounts=tuple(demo_accounts), booths=tuple(demo_booths)
    )
    if credentials != previous or not path.exists():
        _save(path, credentials)
    return credentials
