"""Which member of staff a socket handshake belongs to: the session cookie the pages set, checked against the
accounts, and the credential the revocation watch re-checks while the socket is open. Shared by every staff
namespace (``/agent``, ``/supervisor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

from madoguchi.domain.sessions import SESSION_COOKIE
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.revocation import Credential, CredentialKind
from madoguchi.signaling.service import SUPERVISING_ROLES as SUPERVISING_ROLES
from madoguchi.signaling.service import StaffIdentity
from madoguchi.storage.accounts import Accounts, hash_token


def session_credential(environ: Mapping[str, Any], identity: StaffIdentity) -> Credential:
    """The staff session a connection holds, for the revocation watch (every staff namespace re-checks it)."""
    return Credential(CredentialKind.SESSION, identity.id, hash_token(_session_cookie(environ)))


def _session_cookie(environ: Mapping[str, Any]) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(str(environ.get("HTTP_COOKIE", "")))
    morsel = cookie.get(SESSION_COOKIE)
    return "" if morsel is None else morsel.value


async def staff_identity(accounts: Accounts, environ: Mapping[str, Any], now: float) -> StaffIdentity:
    """The member of staff whose session cookie came with the handshake."""
    token = _session_cookie(environ)
    if not token:
        raise CounterError("unauthorized", "please log in first")
    found = await accounts.session(token, datetime.fromtimestamp(now, tz=UTC))
    if found is None:
        raise CounterError("unauthorized", "your session has expired; please log in again")
    staff, _csrf = found
    return StaffIdentity(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        municipality_ids=tuple(staff.municipality_ids),
        routes=tuple(staff.routes),
        languages=tuple(staff.languages),
        latin_name=staff.latin_name,
    )
