"""UX13 finding 5: when nobody can answer, the web chat's bot told an easy-Japanese reader to write the number 「この
がめんの でんわばんごうの ところに」, a field not on screen: it opens behind the button 「電話を かけて もらう」, which
wrote でんわ in kanji beside a panel that writes it in kana. The bot's line names the button the page shows, in
every page language, and the easy-Japanese no-answer panel writes でんわ and ばんごう one way."""

from __future__ import annotations

import json

import pytest

from madoguchi import ui
from madoguchi.resident_chat.conversation import PHRASES

LANGUAGES = sorted(PHRASES)


def catalog(language: str) -> dict[str, str]:
    data = json.loads((ui.I18N_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def test_every_page_language_has_the_bot_lines() -> None:
    assert set(PHRASES) == {path.stem for path in ui.I18N_DIR.glob("*.json")}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", ["handoff_nobody", "handoff_closed"])
def test_the_bot_names_the_call_back_button_the_page_shows(language: str, key: str) -> None:
    button = catalog(language)["no_answer.callback_open"]
    line = PHRASES[language][key]
    assert f"「{button}」" in line or f'"{button}"' in line, (language, key, line)


def test_the_easy_japanese_no_answer_panel_and_bot_write_the_phone_words_in_kana() -> None:
    easy = catalog("easy-ja")
    texts = {k: v for k, v in easy.items() if k.startswith("no_answer.")}
    texts |= {k: PHRASES["easy-ja"][k] for k in ("handoff_nobody", "handoff_closed")}
    mixed = {k: v for k, v in texts.items() if "電話" in v or "番号" in v}
    assert not mixed, mixed
    assert "がめんの でんわばんごうの ところ" not in PHRASES["easy-ja"]["handoff_nobody"]
