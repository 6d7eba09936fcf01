"""The safety and handoff lexicons are data: every language file parses, mistakes name file:line, and a
municipality's own words are merged in."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.knowledge import KnowledgeBaseError, load_knowledge_base
from madoguchi.chatbot.lexicon import (
    LEXICON_DIR,
    LexiconName,
    bundled_lexicon,
    lexicon_files,
    load_lexicon_file,
    municipality_lexicon,
)
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules

LANGUAGES = {"ja", "en", "zh", "ko", "vi", "pt", "tl", "ne"}


def test_every_bundled_language_parses_and_asks_the_safety_question() -> None:
    files = lexicon_files(LEXICON_DIR)
    assert {path.stem for path in files} == LANGUAGES
    for path in files:
        loaded = load_lexicon_file(path)
        assert loaded.language == path.stem
        assert loaded.safety_question
        for name in (LexiconName.SUICIDE, LexiconName.ASK_PERSON, LexiconName.ANSWER_YES, LexiconName.ANSWER_NO):
            assert loaded.phrases.get(name), f"{path.name}: {name} is empty"
    lexicon = bundled_lexicon()
    assert set(lexicon.languages) == LANGUAGES
    assert (
        lexicon.safety_question("easy-ja")
        == lexicon.safety_question("ja")
        == "いま、あなたや だれかが 危ない 状態ですか？"
    )
    assert lexicon.safety_question("xx") == lexicon.safety_question("en")


def write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("language: ja\nphrases:\n  suicide: [死にたい]\n  sucide: [消えたい]\n", 4, "unknown list 'sucide'"),
        ("language: ja\nphrases:\n  suicide:\n    - 死にたい\n    - {a: b}\n", 5, "suicide.1"),
        ("language: japanese!\nphrases: {}\n", 1, "language"),
        ("language: ja\nphrases:\n  suicide: [死にたい\n", 4, "not valid YAML"),
        ("language: ja\nphrase: {}\n", 1, "phrases: Field required"),
        ("- ja\n", 1, "must be a mapping"),
    ],
)
def test_a_broken_lexicon_names_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = write(tmp_path / "ja.yaml", body)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_lexicon_file(path)
    assert caught.value.path == path and caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ") and message in str(caught.value)


def test_a_municipality_adds_its_own_words(tmp_path: Path, kb_writer: Callable[..., Path]) -> None:
    kb_dir = kb_writer(tmp_path / "town")
    text = normalise("汐見川の堤防がきれそう")
    assert not apply_rules(text, municipality_lexicon(kb_dir)).urgent
    write(
        kb_dir / "lexicons" / "local.yaml",
        """
        language: ja
        phrases:
          disaster_strong: [堤防がきれ]
          disaster: [堤防]
        """,
    )
    merged = municipality_lexicon(kb_dir)
    assert apply_rules(text, merged).urgent_kinds == ("disaster",)
    assert apply_rules(normalise("もう死にたい"), merged).urgent  # the bundled words are still there
    load_knowledge_base(kb_dir)  # the knowledge base itself is untouched by the extra folder


def test_hotline_topics_are_validated(tmp_path: Path, kb_writer: Callable[..., Path], municipality_yaml: str) -> None:
    broken = municipality_yaml.replace("    topics: [dv]", "    topics: [domestic]")
    kb_dir = kb_writer(tmp_path / "town", municipality=broken)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(kb_dir)
    lines = (kb_dir / "municipality.yaml").read_text(encoding="utf-8").splitlines()
    assert caught.value.line is not None and "topics" in lines[caught.value.line - 1]
