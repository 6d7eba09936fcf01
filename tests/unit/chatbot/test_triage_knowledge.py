"""The knowledge-base loader: valid files load; every mistake names the file and the line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.knowledge import (
    KnowledgeBaseError,
    bundled_kb_dir,
    load_knowledge_base,
)
from madoguchi.domain.routes import ROUTE_IDS


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


WriteKb = Callable[..., Path]


def test_a_valid_knowledge_base_loads(tmp_path: Path, kb_writer: WriteKb) -> None:
    kb = load_knowledge_base(kb_writer(tmp_path))
    assert {e.id for e in kb.entries} == {"juminhyo", "tenshutsu", "sodai-gomi", "gomi-day", "seikatsu-hogo", "hours"}
    assert kb.entry("sodai-gomi").route == "waste_environment"
    assert kb.entry("juminhyo").answer.in_language("en").startswith("Get it")
    assert kb.entry("tenshutsu").answer.in_language("en").startswith("引っ越し")  # falls back to Japanese
    assert kb.municipality.hotline("dv-line") is not None


@pytest.fixture
def broken(tmp_path: Path, kb_files: dict[str, str], kb_writer: WriteKb) -> Callable[[str, str, str], Path]:
    def write(route: str, old: str, new: str) -> Path:
        assert old in kb_files[route]
        kb_files[route] = kb_files[route].replace(old, new)
        kb_writer(tmp_path, kb_files)
        return tmp_path / "kb" / f"{route}.yaml"

    return write


Broken = Callable[[str, str, str], Path]


@pytest.mark.parametrize(
    ("route", "old", "new", "line_needle", "message"),
    [
        # a missing answer: reported at the entry
        (
            "waste_environment",
            "answer: {ja: 燃えるごみは月曜と木曜です。}",
            "answr: {ja: 燃えるごみは月曜と木曜です。}",
            "- id: gomi-day",
            r"answer.*(required|Field)",
        ),
        # a bad id: reported at the id line
        ("resident_records", "id: tenshutsu", "id: Tenshutsu_2", "id: Tenshutsu_2", r"id"),
        # an unknown route in an entry
        ("general_inquiry", "id: hours\n", "id: hours\n            route: town_hall\n", "route: town_hall", r"route"),
        # a typo in a language key
        (
            "waste_environment",
            "{ja: 粗大ごみ, en: Large waste}",
            "{ja: 粗大ごみ, jp: Large waste}",
            "jp: Large",
            r"unknown field 'jp'",
        ),
        # a comma inside an unquoted flow mapping
        (
            "waste_environment",
            "en: Collection days}",
            "en: Collection days, Mondays}",
            "Collection days, Mondays",
            r"quotes",
        ),
        # the file's route does not match its name
        ("resident_records", "route: resident_records", "route: tax", "route: tax", r"does not match"),
    ],
)
def test_errors_name_file_and_line(
    tmp_path: Path, broken: Broken, route: str, old: str, new: str, line_needle: str, message: str
) -> None:
    path = broken(route, old, new)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    error = caught.value
    assert error.path == path
    assert error.line == line_of(path, line_needle)
    assert re.search(message, error.message), error.message
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_invalid_yaml_names_the_line(tmp_path: Path, broken: Broken) -> None:
    path = broken(
        "general_inquiry",
        "keywords: [開庁時間, 何時まで, opening hours]",
        "keywords: [開庁時間, 何時まで, opening hours",
    )
    with pytest.raises(KnowledgeBaseError, match="not valid YAML") as caught:
        load_knowledge_base(tmp_path)
    assert caught.value.path == path and caught.value.line is not None


def test_duplicate_ids_across_files_name_both(tmp_path: Path, broken: Broken) -> None:
    first = broken("general_inquiry", "id: hours", "id: juminhyo")  # files load in name order
    second = first.with_name("resident_records.yaml")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(tmp_path)
    assert caught.value.path == second
    assert caught.value.line == line_of(second, "id: juminhyo")
    assert f"already used at general_inquiry.yaml:{line_of(first, 'id: juminhyo')}" in caught.value.message


def test_municipality_needs_every_route(tmp_path: Path, kb_writer: WriteKb, municipality_yaml: str) -> None:
    municipality = municipality_yaml.replace("  tax: {ja: 表示3, en: Route 3}\n", "")
    assert municipality != municipality_yaml
    kb_writer(tmp_path, municipality=municipality)
    with pytest.raises(KnowledgeBaseError, match="missing: tax") as caught:
        load_knowledge_base(tmp_path)
    assert caught.value.path.name == "municipality.yaml"
    assert caught.value.line == line_of(caught.value.path, "routes:")


def test_missing_municipality_file(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    with pytest.raises(KnowledgeBaseError, match="missing"):
        load_knowledge_base(tmp_path)


def test_the_bundled_knowledge_base_loads_and_covers_every_route() -> None:
    kb = load_knowledge_base(bundled_kb_dir())
    assert {e.route.value for e in kb.entries} == set(ROUTE_IDS)
    assert len(kb.entries) >= 150


PHONE_LINE = """phone_interpretation:
  name: {ja: テスト電話通訳, en: Test phone interpreting}
  number: 03-0000-0000
  hours: {ja: 平日 9時から17時, en: Weekdays 9-17}
  languages: [en, vi, th, pt-BR]
"""


def test_a_phone_interpretation_service_is_optional_and_checked(
    tmp_path: Path, kb_writer: WriteKb, municipality_yaml: str
) -> None:
    """The municipality file may name the telephone interpretation service the town uses (shown with a tel: link
    in the console's interpreter panel); a mistake in it names the line like any other."""
    assert load_knowledge_base(kb_writer(tmp_path / "none")).municipality.phone_interpretation is None
    kb = load_knowledge_base(kb_writer(tmp_path / "one", municipality=municipality_yaml + "\n" + PHONE_LINE))
    line = kb.municipality.phone_interpretation
    assert line is not None and line.tel() == "0300000000" and line.languages == ("en", "vi", "th", "pt-BR")
    assert line.name.in_language("vi") == "Test phone interpreting" and line.hours_text("ja") == "平日 9時から17時"
    for old, new, says in [
        ("number: 03-0000-0000", "number: call us", "number"),
        ("languages: [en, vi, th, pt-BR]", "languages: []", "languages"),
        ("languages: [en, vi, th, pt-BR]", "languages: [en, vi, en]", "listed twice: en"),
        ("languages: [en, vi, th, pt-BR]", "languages: [English]", "languages"),
        ("  hours: {ja: 平日 9時から17時, en: Weekdays 9-17}\n", "", "hours"),
    ]:
        broken = municipality_yaml + "\n" + PHONE_LINE.replace(old, new)
        folder = kb_writer(tmp_path / f"bad{abs(hash(new))}", municipality=broken)
        with pytest.raises(KnowledgeBaseError, match=says) as caught:
            load_knowledge_base(folder)
        assert caught.value.path.name == "municipality.yaml" and caught.value.line is not None


def test_the_sample_town_names_an_example_phone_interpretation_service() -> None:
    line = load_knowledge_base(bundled_kb_dir()).municipality.phone_interpretation
    assert line is not None
    assert "架空" in line.name.ja and "fictional" in line.name.in_language("en")  # plainly an example
    assert {"en", "zh", "ko", "vi", "pt", "tl", "ne"} <= set(line.languages)
