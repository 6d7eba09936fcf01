"""The phone chat's case reaches staff in the resident's language (ux14 item 1): the page's language, or the one
the resident writes in. A Vietnamese resident who copied 納税通知書 off a letter was queued, labelled and offered
an interpreter as 日本語."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from madoguchi.domain.languages import PAGE_LANGUAGES
from tests.support import LiveServer, Peer, agent_peer, ok, resident_peer

PASSWORD = "correct horse battery"
CATALOGS = Path(__file__).parents[2] / "madoguchi" / "static" / "i18n"


async def queued_language(server: LiveServer, cid: str) -> str:
    await server.add_agent("agent1", PASSWORD)
    agent = await agent_peer(server, "agent1", PASSWORD)
    try:
        snapshot = await agent.wait_for(
            "queue.snapshot", lambda s: any(i["consultation_id"] == cid for i in s["items"])
        )
        [item] = [i for i in snapshot["items"] if i["consultation_id"] == cid]
        return str(item["language"])
    finally:
        await agent.close()


@pytest.mark.parametrize("language", PAGE_LANGUAGES)
async def test_asking_for_a_person_in_the_page_language_queues_that_language(
    live_server: LiveServer, language: str
) -> None:
    """「職員と話す」 before anything else sends the catalog's words in the page's language (resident.js)."""
    asked = json.loads((CATALOGS / f"{language}.json").read_text(encoding="utf-8"))["resident.handoff.ask_text"]
    home = await resident_peer(live_server)
    ack = ok(await home.call("chat.send", {"text": asked, "client_id": "h-1", "language": language}))
    assert ack.get("position") == 1, ack  # asked for a person: queued at once
    assert await queued_language(live_server, ack["consultation_id"]) == language
    await home.close()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("vi", "Tôi nhận được một lá thư về thuế, trên đó viết 納税通知書 và 督促状. Tôi không hiểu."),
        ("vi", "住民税"),  # kanji alone, copied off the letter: the page's Vietnamese stands
        ("en", "I got a tax letter 納税通知書, I don't understand it"),
        ("easy-ja", "ぜいきん の てがみ が きました"),
        ("ja", "ぜいきん の てがみ が きました"),  # spaced like easy Japanese, but the page is ordinary Japanese
    ],
)
async def test_the_button_after_a_question_queues_the_residents_language(
    live_server: LiveServer, language: str, text: str
) -> None:
    home = await resident_peer(live_server)
    said = ok(await home.call("chat.send", {"text": text, "client_id": "q-1", "language": language}))
    cid = said["consultation_id"]
    if "position" not in said:  # answered by the bot (a reminder letter goes to a person at once): then the button
        await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
        ok(await home.call("handoff.request", {"consultation_id": cid, "language": language}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["bot"]["action"] == "handoff")
    assert await queued_language(live_server, cid) == language
    if language not in ("ja", "easy-ja"):  # the "connecting you" line in their language, not Japanese
        assert not any("\u3040" <= ch <= "\u30ff" for ch in bot["text"]), bot["text"]
    await home.close()


async def test_a_page_switched_after_the_chat_opened_queues_the_new_language(live_server: LiveServer) -> None:
    home = await resident_peer(live_server)
    cid = ok(await home.call("chat.send", {"text": "住民税", "client_id": "s-1", "language": "ja"}))["consultation_id"]
    await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    ok(await home.call("handoff.request", {"consultation_id": cid, "language": "vi"}))
    assert await queued_language(live_server, cid) == "vi"
    await home.close()


async def test_the_button_after_switching_language_answers_in_the_new_one(live_server: LiveServer) -> None:
    """A line written in Japanese, then the page switched to English, then 「職員と話す」 (now "Talk to a person"):
    the bot's "connecting you" line and the case are in English, the language the resident now uses — the
    Japanese line was written before the switch (session 15: it answered in the chat's opening language)."""
    home = await resident_peer(live_server)
    said = ok(await home.call("chat.send", {"text": "住民票を とりたいです", "client_id": "w-1", "language": "ja"}))
    cid = said["consultation_id"]
    await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    ok(await home.call("handoff.request", {"consultation_id": cid, "language": "en"}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["bot"]["action"] == "handoff")
    assert not kana(bot["text"]), bot["text"]
    assert await queued_language(live_server, cid) == "en"
    await home.close()


async def test_a_line_in_another_language_on_the_same_page_still_decides(live_server: LiveServer) -> None:
    """No switch since the line: lang14's rule stands, a Vietnamese line on an English page queues Vietnamese."""
    home = await resident_peer(live_server)
    text = "Tôi muốn lấy giấy chứng nhận cư trú, làm thế nào?"
    said = ok(await home.call("chat.send", {"text": text, "client_id": "v-1", "language": "en"}))
    cid = said["consultation_id"]
    if "position" not in said:
        await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
        ok(await home.call("handoff.request", {"consultation_id": cid, "language": "en"}))
    assert await queued_language(live_server, cid) == "vi"
    await home.close()


async def test_a_suggestion_after_switching_language_answers_in_the_new_one(live_server: LiveServer) -> None:
    """A line written in Japanese, the page switched to Vietnamese, then a suggestion button: the topic and its
    answer are in Vietnamese (session 15: suggestion.choose carried no language and answered in the chat's
    opening Japanese)."""
    home = await resident_peer(live_server)
    said = ok(await home.call("chat.send", {"text": "住民票を とりたいです", "client_id": "c-1", "language": "ja"}))
    cid = said["consultation_id"]
    await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    choice = {"consultation_id": cid, "entry_id": "pregnancy-notice", "language": "vi"}
    ok(await home.call("suggestion.choose", choice))
    topic = await home.wait_for("chat.message", lambda m: m["sender"] == "resident" and "sổ tay" in m["text"])
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["seq"] > topic["seq"])
    assert "Báo có thai" in topic["text"], topic["text"]
    assert bot["text"] and not kana(bot["text"]), bot["text"]
    await home.close()


async def test_a_suggestion_from_an_old_page_answers_in_the_residents_language(live_server: LiveServer) -> None:
    """A page loaded before suggestion.choose carried a language: the language the resident writes in, as before."""
    home = await resident_peer(live_server)
    said = ok(await home.call("chat.send", {"text": "住民票を とりたいです", "client_id": "o-1", "language": "ja"}))
    cid = said["consultation_id"]
    await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    ok(await home.call("suggestion.choose", {"consultation_id": cid, "entry_id": "pregnancy-notice"}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and "母子健康手帳" in m["text"])
    assert kana(bot["text"]), bot["text"]
    await home.close()


def kana(text: str) -> bool:
    """Japanese outside brackets: the translations name the office's words in brackets, 「Phòng Thuế (税務課)」."""
    return any("\u3041" <= ch <= "\u30ff" for ch in re.sub(r"[(（][^()（）]*[)）]", "", text))


async def test_a_vietnamese_tax_question_with_the_letters_word_is_answered_in_vietnamese(
    live_server: LiveServer,
) -> None:
    """ux14 item 2 (29_phone_vi_tax.png): 納税通知書 copied into a Vietnamese line made the answer Japanese."""
    home = await resident_peer(live_server)
    text = "Tôi nhận được thư thuế 納税通知書, không hiểu."
    ok(await home.call("chat.send", {"text": text, "client_id": "t-1", "language": "vi"}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    assert bot["text"] and not kana(bot["text"]), bot["text"]
    await home.close()


async def test_an_english_tax_question_at_the_kiosk_is_answered_in_english(live_server: LiveServer) -> None:
    """ux14 item 2 (96_booth2_english_tax.png)."""
    _, token, _ = await live_server.add_booth()
    booth = Peer(live_server.booth_url, "/booth")
    await booth.connect(auth={"token": token})
    text = "I got a tax letter 納税通知書, I don't understand it"
    preview = ok(await booth.call("triage.preview", {"text": text, "language": "en"}))["triage"]
    assert preview["route"] == "tax" and preview["answer"] and not kana(preview["answer"]), preview
    await booth.close()


@pytest.mark.parametrize(
    ("page", "text", "language"),
    [
        # the page's Japanese was never chosen (the kiosk's default), the words are clearly English: English
        ("ja", "I lost my residence card, what should I do?", "en"),
        # kanji alone copied off a letter on a Vietnamese page: Vietnamese throughout, the triage's too
        ("vi", "住民税 納税通知書", "vi"),
        ("en", "I lost my residence card, what should I do?", "en"),
    ],
)
async def test_the_kiosks_typed_question_goes_in_the_pages_language_unless_clearly_another(
    live_server: LiveServer, page: str, text: str, language: str
) -> None:
    """As the phone chat decides it (lang14): the case, its triage and its summary say one language — the triage
    guessed from the words alone while the case took the page's (session 15)."""
    _, token, _ = await live_server.add_booth()
    booth = Peer(live_server.booth_url, "/booth")
    await booth.connect(auth={"token": token})
    preview = ok(await booth.call("triage.preview", {"text": text, "language": page}))["triage"]
    payload = {"route": preview["route"], "question": text, "language": page, "language_chosen": page != "ja"}
    cid = ok(await booth.call("consultation.request", payload))["consultation_id"]
    assert await queued_language(live_server, cid) == language
    [record] = [r for r in await live_server.export_records() if r["consultation_id"] == cid]
    assert record["language"] == language and record["summary"]["language"] == language, record
    await booth.close()
