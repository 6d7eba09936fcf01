"""A per-browser id for the anonymous chat limits: a signed cookie the chat page gives each browser.

Residents are anonymous, and many share one address (a post office's Wi-Fi, a carrier's NAT), so counting their
chats by address refused real residents once three of them chatted at once. The chat page (``GET /chat``) gives
each browser a random id signed with the deployment's key (``madoguchi_browser``: ``<id>.<HMAC>``, HttpOnly,
SameSite=Lax, kept 180 days); the ``/resident`` socket reads it back from its handshake and the counter counts a
browser's chats by it (``MADOGUCHI_RESIDENT_OPEN_PER_BROWSER`` …), under a much higher ceiling per address. A
connection without a valid id (cookies off, a script) is counted as its address, with the per-browser limits: so
whoever skips the cookie to look new every time gets the old strict limit, and whoever fetches the page for a
fresh id every time meets the address ceiling. The page gives one address at most
``MADOGUCHI_RESIDENT_BROWSER_IDS_PER_ADDRESS_PER_HOUR`` new ids (a token bucket: that many at once, refilled over
the hour; in Redis when the deployment has it, so every process counts the same ids): past it the page sets no
cookie, and the connection is counted as its address with the per-browser limits (3 open / 10 started), so a
script fetching the page again for each chat gets 20 ids an hour (by default), not one per chat. The id names
nobody: it is random, and the live state (Redis) keeps only a keyed hash of it as the key of the count
(:meth:`BrowserIds.counted_as`), never the cookie's id: a copy of the live state cannot be matched to a browser's
cookie (docs/operations.md, "Anonymous web chats").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Final

from aiohttp import web
from pydantic import SecretStr

from madoguchi import ui
from madoguchi.signaling.ratelimit import KeyedLimit

COOKIE: Final = "madoguchi_browser"
MAX_AGE_S: Final = 180 * 24 * 3600
_ID_CHARS: Final = 22  # token_urlsafe(16)
_MAC_CHARS: Final = 32


class BrowserIds:
    """Issues and checks signed browser ids. Several processes must share ``MADOGUCHI_SECRET_KEY`` (as for the login
    form); without it each process signs with its own key, and an id from another process counts as none."""

    def __init__(self, secret_key: SecretStr | None) -> None:
        self._key = (
            hashlib.sha256(b"madoguchi-browser-id:" + secret_key.get_secret_value().encode()).digest()
            if secret_key is not None
            else secrets.token_bytes(32)
        )
        self._issues: KeyedLimit | None = None
        self._clock: Callable[[], float] | None = None

    def limit_issues(self, issues: KeyedLimit, clock: Callable[[], float]) -> None:
        """Give each client address at most ``issues``' allowance of new ids (keyed by address; the composition
        root passes the deployment's shared limit once it is open)."""
        self._issues, self._clock = issues, clock

    def _mac(self, browser: str) -> str:
        return hmac.new(self._key, browser.encode(), hashlib.sha256).hexdigest()[:_MAC_CHARS]

    def issue(self) -> str:
        browser = secrets.token_urlsafe(16)
        return f"{browser}.{self._mac(browser)}"

    def verify(self, value: object) -> str | None:
        """The browser id in a cookie's value, or ``None`` when it is missing, malformed or not signed by us."""
        if not isinstance(value, str) or len(value) != _ID_CHARS + 1 + _MAC_CHARS:
            return None
        browser, _dot, mac = value.partition(".")
        if len(browser) != _ID_CHARS or not hmac.compare_digest(mac.encode(), self._mac(browser).encode()):
            return None
        return browser

    def of_request(self, request: web.Request) -> str | None:
        return self.verify(request.cookies.get(COOKIE))

    def counted_as(self, request: web.Request) -> str | None:
        """What the limits count the request's browser as (kept in the live state): 32 hex digits of a keyed hash
        of its valid id, never the id; None without a valid one."""
        browser = self.of_request(request)
        if browser is None:
            return None
        return hmac.new(self._key, b"counted:" + browser.encode(), hashlib.sha256).hexdigest()[:_MAC_CHARS]

    async def give(self, request: web.Request, response: web.StreamResponse, *, secure: bool) -> bool:
        """Set a new id on ``response`` unless the request carries a valid one or its address has had its new ids
        for now (then the browser goes on without one: counted as its address). True when one was set."""
        if self.of_request(request) is not None:
            return False
        issues, clock = self._issues, self._clock
        if issues is not None and clock is not None and await issues.take(ui.client_address(request), clock()) > 0:
            return False
        response.set_cookie(
            COOKIE, self.issue(), max_age=MAX_AGE_S, path="/", httponly=True, samesite="Lax", secure=secure
        )
        return True


BROWSER_IDS: Final = web.AppKey("browser_ids", BrowserIds)
