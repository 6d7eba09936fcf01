"""A NUL or another control character (or a lone surrogate) in any text that comes in is refused at the edge,
naming the field: socket events on every namespace and every HTTP JSON body, query, form and path parameter.

Session 11's attacker sent ``"question":"税金\\x00の相談"`` from a booth and ``"note":"メモ\\x00"`` from an agent:
both were acked ``ok``, then PostgreSQL refused the record every second and everything behind it waited; and
``POST /api/login`` with ``"a\\u0000b"`` was a 500. On the real server with PostgreSQL (where NUL is refused by
the database, so nothing here can pass by luck of SQLite's leniency).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from madoguchi.storage.testing import temporary_database_url
from tests.support import (
    LiveServer,
    agent_peer,
    answered_booth_call,
    booth_peer,
    login_cookie,
    make_settings,
    ok,
    resident_peer,
    serve,
)

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with (
        temporary_database_url("postgresql", tmp_path) as url,
        serve(make_settings(tmp_path, database_url=url)) as live,
    ):
        yield live


def refused(ack: Any, field: str, character: str) -> str:
    assert "error" in ack, ack
    assert ack["error"]["code"] == "invalid_payload", ack
    message = str(ack["error"]["message"])
    assert message.startswith(f"{field}:") and character in message, message
    return message


@pytest.mark.parametrize(
    ("text", "character"),
    [
        ("税金\x00の相談", "U+0000"),
        ("税金\x1bの相談", "U+001B"),
        ("税金\x85の相談", "U+0085"),
        ("税金\ud800", "U+D800"),
    ],
    ids=["nul", "escape", "c1-next-line", "lone-surrogate"],
)
async def test_a_booth_question_with_a_control_character_is_refused_naming_the_field(
    server: LiveServer, text: str, character: str
) -> None:
    _, token, _ = await server.add_booth()
    booth = await booth_peer(server, token)
    try:
        ack = await booth.call("consultation.request", {"route": "tax", "question": text})
        refused(ack, "question", character)
        # the booth is not stuck: the same request without it goes through
        ok(await booth.call("consultation.request", {"route": "tax", "question": "税金の相談"}))
    finally:
        await booth.close()


async def test_tab_newline_and_carriage_return_are_text(server: LiveServer) -> None:
    await server.add_agent("agent1", PASSWORD)
    _, token, _ = await server.add_booth()
    booth = await booth_peer(server, token)
    agent = await agent_peer(server, "agent1", PASSWORD)
    try:
        ok(await agent.call("agent.status", {"status": "available"}))
        cid = await answered_booth_call(booth, agent)
        ok(await booth.call("consultation.end", {"consultation_id": cid}))
        await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
        note = "一行目\r\n二行目\tタブ"
        ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": note}))
    finally:
        await booth.close()
        await agent.close()


async def test_an_agent_wrap_up_note_with_a_nul_is_refused_and_the_agent_can_wrap_up(server: LiveServer) -> None:
    await server.add_agent("agent1", PASSWORD)
    _, token, _ = await server.add_booth()
    booth = await booth_peer(server, token)
    agent = await agent_peer(server, "agent1", PASSWORD)
    try:
        ok(await agent.call("agent.status", {"status": "available"}))
        cid = await answered_booth_call(booth, agent)
        refused(
            await agent.call("chat.send", {"consultation_id": cid, "text": "a\x00", "client_id": "c1"}),
            "text",
            "U+0000",
        )
        ok(await booth.call("consultation.end", {"consultation_id": cid}))
        await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
        ack = await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "メモ\x00"})
        refused(ack, "note", "U+0000")
        ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "メモ"}))
        await agent.wait_for("agent.state", lambda s: s["status"] == "available")
    finally:
        await booth.close()
        await agent.close()


async def test_a_resident_chat_line_with_a_control_character_is_refused(server: LiveServer) -> None:
    resident = await resident_peer(server)
    try:
        ack = await resident.call("chat.send", {"text": "住民票\x07", "client_id": "r1", "language": "ja"})
        refused(ack, "text", "U+0007")
    finally:
        await resident.close()


async def post_json(http: aiohttp.ClientSession, url: str, body: str) -> tuple[int, Any]:
    async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
        return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (json.dumps({"username": "a\u0000b", "password": "x"}), "username"),
        (json.dumps({"username": "agent1", "password": "p\u009bw"}), "password"),
        ('{"username": "a\\ud800", "password": "x"}', "username"),
        (json.dumps({"username": "agent1", "password": "x", "a\u0000": 1}), "a?"),
    ],
    ids=["nul-username", "c1-password", "lone-surrogate", "nul-in-a-key"],
)
async def test_login_with_a_control_character_is_a_400_never_a_500(server: LiveServer, body: str, field: str) -> None:
    await server.add_agent("agent1", PASSWORD)
    async with aiohttp.ClientSession() as http:
        status, answer = await post_json(http, f"{server.base_url}/api/login", body)
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_payload"
    assert answer["error"]["message"].startswith(f"{field}:"), answer
    await login_cookie(server.base_url, "agent1", PASSWORD)  # nothing counted against the account


async def test_queries_paths_forms_and_bodies_elsewhere_are_checked_before_any_handler(server: LiveServer) -> None:
    await server.add_agent("admin1", PASSWORD, role="admin")
    cookie = await login_cookie(server.base_url, "admin1", PASSWORD)
    base = server.base_url
    async with aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http:
        async with http.get(f"{base}/api/kb/search", params={"q": "住民票\x00"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["message"].startswith("query.q:")
        async with http.get(f"{base}/api/reports/kpis?municipality=shiomi%00") as resp:
            assert resp.status == 400
        async with http.get(f"{base}/api/bookings/1234%005678") as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["message"].startswith("path.code:")
        body = json.dumps(
            {"route": "tax", "place": "本庁", "start": "2030-01-07T10:00:00+09:00", "name_kana": "ヤマダ\u0000"}
        )
        status, answer = await post_json(http, f"{base}/api/bookings", body)
        assert status == 400 and answer["error"]["message"].startswith("name_kana:"), answer
        body = json.dumps({"name": "ブース\u0001", "municipality_id": "shiomi", "place_id": "x"})
        status, answer = await post_json(http, f"{base}/api/admin/booths", body)
        assert status == 400 and answer["error"]["message"].startswith("name:"), answer
        async with http.post(f"{base}/login", data={"username": "a\x00", "password": "x"}) as resp:
            assert resp.status == 400
            assert "form.username" in await resp.text()


async def test_emoji_and_format_characters_are_text_all_the_way_to_postgresql(server: LiveServer) -> None:
    """What the rule lets through must be stored: emoji (a ZWJ family, astral code points) in a booth's name and
    a question, a right-to-left override, a zero-width space, a 200-character name at its column's limit."""
    prefix = "🌊しおみ郵便局👨\u200d👩\u200d👧"
    name = prefix + "あ" * (200 - len(prefix))
    assert len(name) == 200
    _, token, _ = await server.add_booth(name=name, location="港\u202e前\u200b🏣")
    booth = await booth_peer(server, token)
    try:
        question = "税金の相談🙇\u200d♀️ \u202eについて"
        cid = ok(await booth.call("consultation.request", {"route": "tax", "question": question}))["consultation_id"]
    finally:
        await booth.close()
    rows = await server.export_records()
    (row,) = [r for r in rows if r.get("id") == cid or r.get("consultation_id") == cid]
    assert row["state"] == "waiting"


@pytest.mark.parametrize("charset", ["utf-16", "bogus", "latin-1"])
async def test_json_in_another_charset_is_a_400_never_read_past_the_rule(server: LiveServer, charset: str) -> None:
    """The review's finding: ``charset=utf-16`` carried a NUL past the rule (the rule decoded by the declared charset,
    the booking desk parsed the bytes), and an unknown charset was a 500 on every JSON endpoint."""
    body = json.dumps({"username": "a\u0000b", "password": "x"}).encode("utf-16" if charset == "utf-16" else "utf-8")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.base_url}/api/login",
            data=body,
            headers={"Content-Type": f"application/json; charset={charset}", "Origin": server.base_url},
        ) as resp,
    ):
        assert resp.status == 400
        answer = await resp.json()
    assert answer["error"]["code"] == "invalid_payload" and "UTF-8" in answer["error"]["message"]


async def test_json_declared_utf_8_in_any_spelling_is_read(server: LiveServer) -> None:
    await server.add_agent("agent1", PASSWORD)
    body = json.dumps({"username": "agent1", "password": PASSWORD}).encode()
    async with aiohttp.ClientSession() as http:
        for charset in ("utf-8", "UTF-8", "utf8"):
            headers = {"Content-Type": f"application/json; charset={charset}", "Origin": server.base_url}
            async with http.post(f"{server.base_url}/api/login", data=body, headers=headers) as resp:
                assert resp.status == 200, (charset, await resp.text())
