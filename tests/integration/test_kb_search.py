"""``GET /api/kb/search`` on the real server: staff only, clear 4xx for bad input, the municipality's answers."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.support import LiveServer, login_cookie

PASSWORD = "correct horse battery"


async def get(live_server: LiveServer, query: str, cookie: str | None) -> tuple[int, Any]:
    headers = {"Cookie": f"madoguchi_session={cookie}"} if cookie else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{live_server.base_url}/api/kb/search?{query}", headers=headers) as resp,
    ):
        return resp.status, await resp.json()


async def test_staff_find_answers_by_the_bots_own_retrieval(live_server: LiveServer) -> None:
    await live_server.add_agent("aoki", PASSWORD)
    cookie = await login_cookie(live_server.base_url, "aoki", PASSWORD)
    status, body = await get(live_server, "q=住民票の写し&lang=ja", cookie)
    assert status == 200, body
    assert body["results"], body
    top = body["results"][0]
    assert top["route"] == "resident_records" and top["title"] and top["answer"]
    status, english = await get(live_server, "q=住民票の写し&lang=en&limit=1", cookie)
    assert status == 200 and len(english["results"]) == 1
    assert english["results"][0]["answer"] != top["answer"], "the answer in the case's language"
    assert top["answer_language"] == "ja" and english["results"][0]["answer_language"] == "en"
    # the sample town's entries answer in Vietnamese too (session 9's translations)
    status, vietnamese = await get(live_server, "q=住民票の写し&lang=vi&limit=1", cookie)
    assert status == 200 and vietnamese["results"][0]["answer_language"] == "vi", vietnamese
    assert vietnamese["results"][0]["answer"] != english["results"][0]["answer"]
    # ux7 item 4: an entry without the case's language says which one it gives (easy Japanese → Japanese)
    status, easy = await get(live_server, "q=住民票の写し&lang=easy-ja&limit=1", cookie)
    assert status == 200 and easy["results"][0]["answer_language"] == "ja", easy
    assert easy["results"][0]["answer"] == top["answer"]


async def test_no_session_is_401(live_server: LiveServer) -> None:
    status, body = await get(live_server, "q=住民票", None)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, body = await get(live_server, "q=住民票", "forged")
    assert status == 401


@pytest.mark.parametrize(
    "query",
    ["", "q=", "q=%20%20", "q=" + "あ" * 201, "q=x&limit=0", "q=x&limit=99", "q=x&lang=xx", "q=x&other=1"],
)
async def test_bad_input_is_a_clear_400(live_server: LiveServer, query: str) -> None:
    await live_server.add_agent("aoki", PASSWORD)
    cookie = await login_cookie(live_server.base_url, "aoki", PASSWORD)
    status, body = await get(live_server, query, cookie)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_payload" and body["error"]["message"]


async def test_another_municipality_is_403(live_server: LiveServer) -> None:
    await live_server.add_agent("aoki", PASSWORD)
    cookie = await login_cookie(live_server.base_url, "aoki", PASSWORD)
    status, body = await get(live_server, "q=住民票&municipality=elsewhere", cookie)
    assert status == 403 and body["error"]["code"] == "forbidden"
