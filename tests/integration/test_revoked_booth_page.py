"""A revoked booth's kiosk page says the booth is no longer in use (410) instead of a kiosk that can never connect
(session 8's outside attack found it answering 200)."""

from __future__ import annotations

import aiohttp

from madoguchi import keys
from tests.support import LiveServer


async def test_the_page_of_a_revoked_booth_is_410_with_plain_words(live_server: LiveServer) -> None:
    booth_id, _token, _ = await live_server.add_booth()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{live_server.base_url}/booth/{booth_id}") as resp:
            assert resp.status == 200
        await live_server.app[keys.BOOTHS].revoke(booth_id)
        async with http.get(f"{live_server.base_url}/booth/{booth_id}", headers={"Accept-Language": "ja"}) as resp:
            assert resp.status == 410
            page = await resp.text()
        assert "使われていません" in page
        async with http.get(f"{live_server.base_url}/booth/b_nonexistent") as resp:
            assert resp.status == 404
