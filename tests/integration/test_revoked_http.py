"""Every way of ending a console session also ends its HTTP requests, on every staff API: after logout, a password
change, an account disabled, a session expired or a role taken away, the old cookie gets nothing (sockets:
test_revocation.py). Session 12's review of the revocation paths, from the HTTP side."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from madoguchi import keys
from madoguchi.storage.accounts import hash_token
from madoguchi.storage.models import WebSession
from tests.support import LiveServer, login_cookie, make_settings, serve

PASSWORD = "correct horse battery"
STAFF_GETS = (
    "/api/callbacks",
    "/api/kb/search?q=%E4%BD%8F%E6%B0%91%E7%A5%A8",
    "/api/staff/bookings/options",
    "/api/reports/kpis?from=2026-12-01&to=2026-12-07",
    "/api/admin/state",
    "/api/admin/records/set-aside",
)


async def statuses(server: LiveServer, cookie: str) -> dict[str, int]:
    found: dict[str, int] = {}
    async with aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http:
        for path in STAFF_GETS:
            async with http.get(f"{server.base_url}{path}", allow_redirects=False) as resp:
                found[path] = resp.status
    return found


async def logout(server: LiveServer, cookie: str) -> None:
    found = await server.app[keys.ACCOUNTS].session(cookie, datetime.now(UTC))
    assert found is not None
    async with (
        aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
        http.post(f"{server.base_url}/logout", data={"csrf_token": found[1]}, allow_redirects=False) as resp,
    ):
        assert resp.status == 303


async def password_changed(server: LiveServer, cookie: str) -> None:
    await server.app[keys.ACCOUNTS].set_password("chief", "a brand new password")


async def disabled(server: LiveServer, cookie: str) -> None:
    await server.app[keys.ACCOUNTS].set_disabled("chief", True)


async def demoted(server: LiveServer, cookie: str) -> None:
    await server.app[keys.ACCOUNTS].update("chief", role="agent")


ENDINGS: dict[str, Callable[[LiveServer, str], Awaitable[None]]] = {
    "logout": logout,
    "password": password_changed,
    "disabled": disabled,
    "demoted": demoted,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_an_ended_session_is_served_no_staff_api(tmp_path: Path, ending: str) -> None:
    async with serve(make_settings(tmp_path)) as server:
        await server.add_agent("chief", PASSWORD, role="admin")
        cookie = await login_cookie(server.base_url, "chief", PASSWORD)
        before = await statuses(server, cookie)
        assert set(before.values()) == {200}, before
        await ENDINGS[ending](server, cookie)
        after = await statuses(server, cookie)
        assert set(after.values()) == {401}, after  # a new role ends the sessions too: rights come from a new login


async def test_an_expired_session_is_served_no_staff_api(tmp_path: Path) -> None:
    """Expired but still stored (the purge has not run): every API's own session check sees the expiry."""
    async with serve(make_settings(tmp_path)) as server:
        await server.add_agent("chief", PASSWORD, role="admin")
        cookie = await login_cookie(server.base_url, "chief", PASSWORD)
        assert set((await statuses(server, cookie)).values()) == {200}
        async with server.app[keys.DATABASE].transaction() as session:
            row = await session.get(WebSession, hash_token(cookie))
            assert row is not None
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        assert set((await statuses(server, cookie)).values()) == {401}
