"""Who is logged in, and whether a form POST really came from our own page.

Why it is shaped like this:
- The session lives in the database (``Accounts``); the browser holds only an opaque token in the
  ``madoguchi_session`` cookie (HttpOnly, SameSite=Lax, Secure when configured), which the ``/agent`` socket
  reads too.
- Every form POST carries a CSRF token. Logged-in forms compare it with the session's own token. The login form
  has no session yet, so it uses a *signed double submit*: the page sets a cookie holding a random nonce and its
  HMAC, and puts the same nonce in a hidden field; the POST must bring both, and the HMAC must verify. A cookie
  planted by another site (or a sibling subdomain) cannot carry a valid signature.
- The login nonce is also time-bound (its issue time is signed with it, and it is refused after
  :data:`LOGIN_CSRF_TTL_S`) and single-use (the login guard remembers every nonce a POST brought, in Redis when
  there is one), so a captured form cannot be replayed.
- As a second, independent check, a POST whose ``Origin`` header names another site is refused outright.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from madoguchi import keys, ui
from madoguchi.domain.sessions import SESSION_COOKIE
from madoguchi.storage.accounts import Accounts, StaffRecord

LOGIN_CSRF_COOKIE: Final = "madoguchi_login_csrf"
CSRF_FIELD: Final = "csrf_token"
LOGIN_CSRF_TTL_S: Final = 2 * 3600
MAX_TOKEN_LENGTH: Final = 200
CLOCK_SKEW_S: Final = 60
"""A nonce issued this far in the future still counts (several processes' clocks differ a little)."""

LOGIN_CSRF_SECRET = web.AppKey("login_csrf_secret", bytes)
"""Signs login-form nonces. Random per process: a form fetched from one process and posted to another fails
with a readable "page expired" message and a fresh form (see docs/ui.md)."""


def now_utc() -> datetime:
    return datetime.now(tz=UTC)


def session_token(request: web.Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


async def current_session(request: web.Request) -> tuple[StaffRecord, str] | None:
    """The logged-in staff member and the session's CSRF token, or None."""
    token = session_token(request)
    if token is None:
        return None
    accounts: Accounts = request.app[keys.ACCOUNTS]
    return await accounts.session(token, now_utc())


async def current_staff(request: web.Request) -> StaffRecord | None:
    found = await current_session(request)
    return None if found is None else found[0]


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    settings = request.app[keys.SETTINGS]
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_s,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    settings = request.app[keys.SETTINGS]
    response.del_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=settings.cookie_secure)


# --- cross-site checks ---------------------------------------------------------------------------------------


def same_origin(request: web.Request) -> bool:
    """False only when the browser says the request came from another origin (``Origin`` header).

    Browsers send ``Origin`` on every cross-origin POST; a missing header (old clients, curl) is allowed, and
    the CSRF token still has to match.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.netloc.lower() == request.host.lower()


def csrf_matches(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


# --- login form: signed double submit ------------------------------------------------------------------------


def ensure_login_secret(app: web.Application) -> None:
    """Signs the login form's CSRF cookie. Several processes behind one load balancer must share
    ``MADOGUCHI_SECRET_KEY``; without it each process makes its own (fine for one process)."""
    if LOGIN_CSRF_SECRET not in app:
        configured = app[keys.SETTINGS].secret_key
        app[LOGIN_CSRF_SECRET] = (
            hashlib.sha256(b"madoguchi-login-csrf:" + configured.get_secret_value().encode()).digest()
            if configured is not None
            else secrets.token_bytes(32)
        )


def _sign(secret: bytes, signed: str) -> str:
    return hmac.new(secret, signed.encode(), hashlib.sha256).hexdigest()


def new_login_nonce() -> str:
    """A fresh nonce for the login form's hidden field; pair it with :func:`set_login_csrf_cookie`."""
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(request: web.Request, response: web.StreamResponse, nonce: str, now: float) -> None:
    """The signed half of the double submit: ``<nonce>.<issued at>.<HMAC>``, only sent back to ``/login``."""
    settings = request.app[keys.SETTINGS]
    signed = f"{nonce}.{int(now)}"
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        f"{signed}.{_sign(request.app[LOGIN_CSRF_SECRET], signed)}",
        max_age=LOGIN_CSRF_TTL_S,
        path="/login",
        httponly=True,
        samesite="Strict",
        secure=settings.cookie_secure,
    )


def login_csrf_nonce(request: web.Request, submitted: object, now: float) -> str | None:
    """The nonce when the form's nonce equals the cookie's, the cookie's signature is ours and it was issued
    less than :data:`LOGIN_CSRF_TTL_S` ago; else None. Whether it was used before is the caller's check."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if len(cookie) > MAX_TOKEN_LENGTH:
        return None
    signed, _, signature = cookie.rpartition(".")
    nonce, _, issued = signed.partition(".")
    if not nonce or not signature or not issued.isascii() or not issued.isdigit():
        return None
    expected = _sign(request.app[LOGIN_CSRF_SECRET], signed)
    if not hmac.compare_digest(expected, signature) or not csrf_matches(nonce, submitted):
        return None
    if not -CLOCK_SKEW_S <= now - int(issued) <= LOGIN_CSRF_TTL_S:
        return None
    return nonce


# --- who is asking -------------------------------------------------------------------------------------------


client_address = ui.client_address  # in ui.py: the booking API throttles by the same address
