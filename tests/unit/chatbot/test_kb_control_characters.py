"""A knowledge-base file whose text holds a control character (a YAML "\\0" or "\\x1b" escape) is refused with its
line: a NUL in an answer would be refused by PostgreSQL in every chat line that quotes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.chatbot.knowledge import load_kb_file
from madoguchi.chatbot.yaml_source import KnowledgeBaseError

FILE = """route: tax
entries:
  - id: tax-certificate
    title: {ja: 課税証明書}
    answer:
      ja: "本庁の税務課で{escape}取れます。"
    keywords: [課税証明]
"""


@pytest.mark.parametrize(("escape", "character"), [("\\0", "U+0000"), ("\\e", "U+001B"), ("\\x85", "U+0085")])
def test_a_control_character_in_a_kb_text_is_refused_with_its_line(tmp_path: Path, escape: str, character: str) -> None:
    path = tmp_path / "tax.yaml"
    path.write_text(FILE.replace("{escape}", escape), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as raised:
        load_kb_file(path)
    assert raised.value.line == 6
    assert raised.value.message.startswith(f"entries.0.answer.ja: contains the control character {character}")


def test_the_same_file_without_it_loads(tmp_path: Path) -> None:
    path = tmp_path / "tax.yaml"
    path.write_text(FILE.replace("{escape}", "\\n"), encoding="utf-8")
    ((entry, line),) = load_kb_file(path)
    assert entry.id == "tax-certificate" and line == 3
