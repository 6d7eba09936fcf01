"""The bot → booking flow on the real server: a resident who asks to book (in any of the nine languages) gets a
booking button on the bot's line, with the topic of the conversation chosen; /book opens with that topic."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from tests.bookings_support import ASKS
from tests.support import Peer, make_settings, ok, resident_peer, serve


async def bot_reply(home: Peer, text: str, client_id: str) -> dict[str, object]:
    ok(await home.call("chat.send", {"text": text, "client_id": client_id}))
    echo = await home.wait_for("chat.message", lambda m: m["sender"] == "resident" and m["text"] == text)
    reply: dict[str, object] = await home.wait_for(
        "chat.message", lambda m: m["sender"] == "bot" and m["seq"] > echo["seq"], within=15.0
    )
    return reply


async def test_asking_to_book_offers_the_page_with_the_topic_of_the_conversation(tmp_path: Path) -> None:
    # nine languages, two lines each, from one address at once: past the default burst of lines (10) per address
    settings = make_settings(
        tmp_path, resident_open_per_browser=20, resident_starts_per_browser=20, resident_line_burst_per_address=60
    )
    async with serve(settings) as server:
        home = await resident_peer(server)
        try:
            first = await bot_reply(home, "戸籍謄本がほしい", "k-1")
            assert first["bot"]["booking"] is None  # type: ignore[index]
            asked = await bot_reply(home, "予約したい", "k-2")
            assert asked["bot"]["booking"] == {"route": "family_register"}, asked  # type: ignore[index]
        finally:
            await home.close()

        offers = {}
        for language, text in ASKS.items():
            peer = await resident_peer(server)
            try:
                offers[language] = (await bot_reply(peer, text, f"{language}-1"))["bot"]["booking"]  # type: ignore[index]
            finally:
                await peer.close()
        assert offers == {language: {"route": None} for language in ASKS}

        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.base_url}/book/shiomi?route=family_register&lang=en") as resp:
                page = await resp.text()
            assert resp.status == 200
            assert re.search(r'<option value="family_register" selected>', page)
            async with http.get(f"{server.base_url}/book/shiomi?route=nonsense") as resp:
                page = await resp.text()
            assert resp.status == 200 and " selected>" not in page  # the page says so and lets them choose
