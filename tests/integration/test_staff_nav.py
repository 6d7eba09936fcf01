"""The staff pages' navigation (office8b, outside UX tester: a supervisor landed on /console, and neither it nor
/reports led to /supervisor or /admin). On the real server: each role is offered exactly the pages that open for
it, every offered link opens (200, never the 403 page) and a supervisor lands on the live view."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from madoguchi.domain.staff_pages import STAFF_PAGES
from tests.support import login_cookie, make_settings, serve

PASSWORD = "staff-nav-password-1"


@pytest.mark.parametrize(
    ("role", "offered", "landing"),
    [
        ("agent", [], "/console"),
        ("supervisor", ["/console", "/supervisor", "/reports"], "/supervisor"),
        ("admin", ["/console", "/supervisor", "/reports", "/admin"], "/console"),
    ],
)
async def test_each_role_is_offered_the_pages_that_open_for_it(
    tmp_path: Path, role: str, offered: list[str], landing: str
) -> None:
    async with serve(make_settings(tmp_path)) as live:
        await live.add_agent("someone", PASSWORD, role=role)
        cookie = await login_cookie(live.base_url, "someone", PASSWORD)
        headers = {"Cookie": f"madoguchi_session={cookie}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{live.base_url}/login", headers=headers, allow_redirects=False) as r:
                assert (r.status, r.headers["Location"]) == (303, landing)
            async with http.get(f"{live.base_url}/login?lang=en", headers=headers, allow_redirects=False) as r:
                assert r.headers["Location"] == f"{landing}?lang=en"
            for page in STAFF_PAGES:
                async with http.get(f"{live.base_url}{page.path}", headers=headers, allow_redirects=False) as r:
                    body = await r.text()
                if page.path not in offered and page.path != "/console":
                    assert r.status != 200, f"{role} is not offered {page.path}, which opens for them"
                    continue
                assert r.status == 200, (role, page.path)
                links = re.findall(r'class="staff-nav-link" href="([^"?]+)', body)
                assert links == offered, (role, page.path)
                if offered:
                    current = re.findall(r'href="([^"?]+)"[^>]*aria-current="page"', body)
                    assert current == [page.path]
