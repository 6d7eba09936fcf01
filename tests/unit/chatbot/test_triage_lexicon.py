"""The safety and handoff lexicons are data: every language file parses, mistakes name file:line, and a
municipality's own words are merged in."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.knowledge import KnowledgeBaseError, load_knowledge_base
from madoguchi.chatbot.lexicon import (
    CUE_LISTS,
    LEXICON_DIR,
    LexiconName,
    bundled_lexicon,
    cue_tokens,
    lexicon_files,
    load_lexicon_file,
    municipality_lexicon,
)
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules

LANGUAGES = {"ja", "en", "zh", "ko", "vi", "pt", "tl", "ne"}


def test_every_bundled_language_parses_and_asks_the_safety_question() -> None:
    files = [p for p in lexicon_files(LEXICON_DIR) if p.parent == LEXICON_DIR]
    assert {path.stem for path in files} == LANGUAGES | {"concepts"}
    for path in (p for p in files if p.stem != "concepts"):
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
        ("language: ja\nphrases:\n  suicide: [死にたい\n", 3, "not valid YAML"),  # the open [ (not the end)
        ("language: ja\nphrase: {}\n", 1, "phrases: Field required"),
        ("- ja\n", 1, "must be a mapping"),
        (
            "language: any\nphrases: {}\nask_when_all:\n  - [alone, no_food]\n  - [alone, hungry]\n",
            5,
            "ask_when_all.1.1",
        ),
        ("language: any\nphrases: {}\nask_when_all:\n  - [alone]\n", 4, "at least 2"),
        ("language: any\nphrases: {}\nask_when_all: [alone, no_food]\n", 3, "ask_when_all.0"),
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


def test_the_concept_table_is_data_and_a_town_adds_rows(tmp_path: Path, kb_writer: Callable[..., Path]) -> None:
    bundled = load_lexicon_file(LEXICON_DIR / "concepts.yaml")
    assert bundled.language == "any" and bundled.ask_when_all == bundled_lexicon().ask_when_all
    assert (LexiconName.WATER_RISING, LexiconName.SHELTER_NOW) in bundled.ask_when_all
    text = normalise("一人暮らしの父がけがをしたらしい")  # alone + injured: no bundled row
    assert not apply_rules(text, bundled_lexicon()).weak_danger
    kb_dir = kb_writer(tmp_path / "town")
    write(kb_dir / "lexicons" / "local.yaml", "language: any\nphrases: {}\nask_when_all:\n  - [alone, injury]\n")
    merged = municipality_lexicon(kb_dir)
    assert apply_rules(text, merged).weak_danger and "any" not in merged.languages
    assert len(merged.ask_when_all) == len(bundled.ask_when_all) + 1
    assert not apply_rules(normalise("一人暮らしの父が先週けがをした"), merged).weak_danger  # past, over


def test_hotline_topics_are_validated(tmp_path: Path, kb_writer: Callable[..., Path], municipality_yaml: str) -> None:
    broken = municipality_yaml.replace("    topics: [dv]", "    topics: [domestic]")
    kb_dir = kb_writer(tmp_path / "town", municipality=broken)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(kb_dir)
    lines = (kb_dir / "municipality.yaml").read_text(encoding="utf-8").splitlines()
    assert caught.value.line is not None and "topics" in lines[caught.value.line - 1]


# One situation, said in every language with a file: an old mother living alone does not answer the phone.
ALONE_AND_SILENT = {
    "ja": "一人暮らしの母が朝から電話に出ない",
    "en": "My mother lives alone and has not been answering since this morning",
    "zh": "我妈妈一个人住，从早上开始电话打不通",
    "ko": "혼자 사시는 어머니가 아침부터 전화를 안 받아요",
    "vi": "Mẹ tôi sống một mình, từ sáng không nghe máy",
    "pt": "Minha mãe mora sozinha e não atende desde de manhã",
    "tl": "Mag-isa lang si nanay sa bahay at hindi sumasagot mula kaninang umaga",
    "ne": "आमा एक्लै बस्नुहुन्छ, बिहानदेखि फोन उठाउँदैन",
}


def test_the_team_additions_are_language_files_beside_the_main_ones() -> None:
    team = [p for p in lexicon_files(LEXICON_DIR) if p.parent.name == "team"]
    assert {p.stem for p in team} == LANGUAGES
    assert {p.parent.name for p in lexicon_files(LEXICON_DIR) if p.parent != LEXICON_DIR} == {"team", "handoff"}
    for path in team:
        loaded = load_lexicon_file(path)
        assert loaded.language == path.stem
        assert path.read_text(encoding="utf-8").startswith("# Team additions")
        for name in (LexiconName.SINCE, LexiconName.RESOLVED):  # the past-tense rule needs both in every language
            assert loaded.phrases.get(name), f"team/{path.name}: {name} is empty"


def test_every_language_file_names_every_danger_cue() -> None:
    in_table = {name for row in bundled_lexicon().ask_when_all for name in row}
    for path in (p for p in lexicon_files(LEXICON_DIR) if p.stem != "concepts" and p.parent == LEXICON_DIR):
        loaded = load_lexicon_file(path)
        for name in (n for n in CUE_LISTS if n.name in _CUE_NAMES or n in in_table):
            assert loaded.phrases.get(name), f"{path.name}: the danger cue {name} is empty"


_CUE_NAMES = {
    "ALONE",
    "NO_CONTACT",
    "NO_FOOD",
    "CANNOT_MOVE",
    "WATER_RISING",
    "SHELTER_NOW",
    "HOPELESS",
    "FEAR",
    "INJURY",
    "FAMILY_FIGHT",
    "PAST",
    "PLANNING",
}


@pytest.mark.parametrize("language", sorted(ALONE_AND_SILENT))
def test_the_same_situation_gives_the_same_cues_in_every_language(language: str) -> None:
    tokens = cue_tokens(normalise(ALONE_AND_SILENT[language]))
    assert "cue:alone+no_contact" in tokens, tokens
    calm = cue_tokens(normalise("住民票を一通ください"))
    assert not [t for t in calm if t.removeprefix("cue:").upper() in _CUE_NAMES], calm


def test_a_lexicon_remembers_recent_searches_without_mixing_lines_up() -> None:
    lexicon = bundled_lexicon()
    lines = [f"{i} 母が朝から電話に出ない" if i % 2 else f"{i} 住民票がほしい" for i in range(80)]
    for _ in range(2):  # more lines than it remembers, twice: every answer is the pattern's own
        for line in lines:
            folded = normalise(line)
            assert bool(lexicon.search(LexiconName.NO_CONTACT, folded)) == ("電話" in line)
