"""Whether an open socket's credential still stands: the rule that ends a connection whose access was taken away.

Credentials are checked when a socket connects, and again while it is open: every server process asks the
database, about every half second, what has become of the credentials its own sockets hold (see
:class:`madoguchi.signaling.revocation_watch.RevocationWatch` and ``storage.credentials``). The database is the one
place every way of ending access already writes to — ``POST /logout`` and a password change delete the session,
``madoguchi user disable`` marks the account, ``madoguchi booth revoke``/``rotate`` change the booth row — in
this process, in another one, or in the CLI's own, with Redis or without. So there is no announcement to forget
and no channel to lose; the price is one small indexed query per credential kind per process per half second.

This module is the pure part: given a credential and what the database says (:class:`Standing`), which
:class:`Reason` ends it, or None. Time is passed in. A reason code is what the client's ``access.revoked`` event
carries and what the pages turn into plain words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Reason(StrEnum):
    SESSION_ENDED = "session_ended"
    """The console session was ended: logout, a password change or reset, or the session was deleted."""
    SESSION_EXPIRED = "session_expired"
    ACCOUNT_DISABLED = "account_disabled"
    BOOTH_REVOKED = "booth_revoked"
    TOKEN_ROTATED = "token_rotated"
    """The booth got a new device token; this device still holds the old one."""


class CredentialKind(StrEnum):
    SESSION = "session"
    BOOTH = "booth"


@dataclass(frozen=True)
class Credential:
    """What a socket was let in with: a console session (``subject`` = staff id) or a booth device token
    (``subject`` = booth id); ``token_hash`` as stored (never the token itself)."""

    kind: CredentialKind
    subject: str
    token_hash: str


@dataclass(frozen=True)
class Standing:
    """What the database says now about the credentials asked for.

    ``sessions``: each stored session's expiry (epoch seconds); a session asked for and missing was ended.
    ``disabled_staff``: the accounts (among those asked for) that are disabled or gone.
    ``booth_tokens``: each booth's current token hash, None once revoked; a booth missing was deleted.
    """

    sessions: Mapping[str, float] = field(default_factory=dict)
    disabled_staff: frozenset[str] = frozenset()
    booth_tokens: Mapping[str, str | None] = field(default_factory=dict)


def _session(credential: Credential, standing: Standing, now: float) -> Reason | None:
    if credential.subject in standing.disabled_staff:
        return Reason.ACCOUNT_DISABLED
    expires = standing.sessions.get(credential.token_hash)
    if expires is None:
        return Reason.SESSION_ENDED
    return Reason.SESSION_EXPIRED if expires <= now else None


def _booth(credential: Credential, standing: Standing, now: float) -> Reason | None:
    current = standing.booth_tokens.get(credential.subject)
    if current is None:
        return Reason.BOOTH_REVOKED
    return None if current == credential.token_hash else Reason.TOKEN_ROTATED


RULES = {CredentialKind.SESSION: _session, CredentialKind.BOOTH: _booth}
"""One rule per kind of credential."""


def reason_to_end(credential: Credential, standing: Standing, now: float) -> Reason | None:
    """Why this credential no longer lets its socket stay, or None while it stands."""
    return RULES[credential.kind](credential, standing, now)


ENDS_RESIDENT_CASES = frozenset({Reason.BOOTH_REVOKED, Reason.TOKEN_ROTATED})
"""Reasons after which the booth's own cases end at once (a call ends with ``end_reason`` ``revoked``) instead of
waiting out the grace period for a device that will not come back with that credential."""

ENDS_STAFF_CASES = frozenset({Reason.ACCOUNT_DISABLED})
"""Reasons after which the member of staff's own case goes back in line at once instead of waiting out the grace
period (nobody can come back on a disabled account). Whatever the reason, they leave every call they joined
(``Counter.access_ended``)."""
