"""An urgent chat in a language no on-duty agent speaks still reaches a person, on the real server: the offer
names the language the resident writes in (not the page's), and the summary starts with the urgent topic and
says in Japanese what the agent is reading."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from madoguchi.chatbot.llm import SUMMARY_SYSTEM
from madoguchi.resident_chat.conversation import PHRASES, handoff_line
from tests.support import (
    OFFICE_MORNING,
    LiveServer,
    agent_peer,
    completion,
    llm_stub,
    make_settings,
    office_hours_clock,
    ok,
    resident_peer,
    serve,
    serve_topology,
)

PASSWORD = "correct horse battery"


async def test_an_urgent_vietnamese_chat_is_offered_to_a_japanese_english_agent(live_server: LiveServer) -> None:
    await live_server.add_agent("agent1", PASSWORD, languages=("ja", "en"))
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    home = await resident_peer(live_server)  # the page is Japanese; the resident writes Vietnamese
    text = "Chồng tôi đánh tôi, tôi rất sợ, xin hãy giúp"
    ack = ok(await home.call("chat.send", {"text": text, "client_id": "v-1"}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    assert bot["bot"]["urgent"] is True and "#8008" in {h["number"] for h in bot["bot"]["hotlines"]}
    offer = await agent.wait_for("offer")
    assert offer["consultation_id"] == ack["consultation_id"] and offer["urgent"] is True
    assert offer["language"] == "vi"
    assert offer["summary"]["need"].startswith("【緊急・DV】")
    assert "ベトナム語で 書かれています" in offer["summary"]["need"]
    await home.close()
    await agent.close()


async def test_with_nobody_on_duty_the_bot_says_so_instead_of_connecting(tmp_path: Path) -> None:
    """The bot's line and the waiting panel tell the same truth: nobody on duty, no "connecting you". The server's
    clock is a weekday morning (outside the town's hours the truth is 「受付時間外」, another test's)."""
    async with serve(make_settings(tmp_path), clock=office_hours_clock()) as server:
        await _nobody_on_duty_in_vietnamese(server)


async def _nobody_on_duty_in_vietnamese(live_server: LiveServer) -> None:
    home = await resident_peer(live_server)
    ack = ok(await home.call("chat.send", {"text": "Tôi không muốn sống nữa", "client_id": "v-2", "language": "vi"}))
    first = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["bot"]["urgent"])
    assert first["text"] == PHRASES["vi"]["emergency"]  # 110/119 first, then what happens next
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["seq"] > first["seq"])
    assert ack["no_answer"] == "nobody"
    assert bot["text"] == PHRASES["vi"]["urgent_nobody"]
    assert "kết nối bạn" not in bot["text"]
    await home.close()


async def test_talk_to_staff_with_nobody_on_duty_is_told_plainly(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path), clock=office_hours_clock()) as server:
        assert await _handoff_line_to_talk_to_staff(server) == PHRASES["ja"]["handoff_nobody"]


async def test_talk_to_staff_on_a_sunday_is_told_the_counter_is_closed(tmp_path: Path) -> None:
    sunday_morning = office_hours_clock(OFFICE_MORNING - 24 * 3600)
    async with serve(make_settings(tmp_path), clock=sunday_morning) as server:
        assert await _handoff_line_to_talk_to_staff(server) == PHRASES["ja"]["handoff_closed"]


async def _handoff_line_to_talk_to_staff(live_server: LiveServer) -> str:
    """The bot's line after a resident asks a question and then to talk to staff, nobody being on duty."""
    home = await resident_peer(live_server)
    ack = ok(await home.call("chat.send", {"text": "住民票がほしい", "client_id": "j-1"}))
    ok(await home.call("handoff.request", {"consultation_id": ack["consultation_id"]}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["bot"]["action"] == "handoff")
    await home.close()
    return str(bot["text"])


def test_the_handoff_line_follows_the_panel_reason() -> None:
    assert handoff_line(urgent=False, no_answer="closed") == "handoff_closed"
    assert handoff_line(urgent=False, no_answer="long_wait") == "handoff"
    assert handoff_line(urgent=True, no_answer=None) == "urgent"


async def test_the_emergency_numbers_do_not_wait_for_the_handoff_summary(tmp_path: Path) -> None:
    """The summary may ask the LLM (up to its timeout); 110/119 and the hotlines are posted before that call."""
    summary_asked = asyncio.Event()
    release = asyncio.Event()

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body["messages"][0]["content"].startswith(SUMMARY_SYSTEM[:40]):
            summary_asked.set()
            await release.wait()  # the slow LLM: held until the test has seen the emergency line
        return completion("住民が危険な状態")

    async with llm_stub(completions) as llm_url:
        try:
            async with serve_topology("one", tmp_path, llm_base_url=llm_url, llm_timeout=5.0) as server:
                home = await resident_peer(server)
                sending = asyncio.create_task(home.call("chat.send", {"text": "もう死にたい", "client_id": "e-1"}))
                first = await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
                await asyncio.wait_for(summary_asked.wait(), 5.0)
                assert first["text"] == PHRASES["ja"]["emergency"] and first["bot"]["urgent"] is True
                assert {"110", "119"} <= {h["number"] for h in first["bot"]["hotlines"]}
                assert not sending.done()  # still queueing: the summary is held
                assert [m for m in home.received["chat.message"] if m["sender"] == "bot"] == [first]
                release.set()
                ack = ok(await sending)
                rest = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["seq"] > first["seq"])
                assert rest["text"] == PHRASES["ja"][handoff_line(urgent=True, no_answer=ack.get("no_answer"))]
                await home.close()
        finally:
            release.set()  # before the stub stops: it waits for the held request
