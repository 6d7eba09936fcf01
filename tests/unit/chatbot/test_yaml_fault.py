"""Session 15: a YAML slip is reported on the line where it is, with its sort, not where PyYAML noticed it.

The tester's file had ``en |`` (no ``:``) on line 12 and the page said line 14, "check that line and the one
above". Each case breaks one line of a small entry file the way people do and expects that line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from madoguchi.chatbot.yaml_fault import fault
from madoguchi.chatbot.yaml_source import KnowledgeBaseError, compose

ENTRY = """\
route: tax
entries:
  - id: resident-tax
    title: {ja: 住民税, en: Resident tax}
    keywords: [住民税, 税金]
    answer:
      ja: |
        住民税は 町に はらう 税金です。
        6月に 通知書を 送ります。
      easy-ja: |
        じゅうみんぜいの おしらせです。
      en: |
        Resident tax is paid to the town.
      vi: |
        Thuế cư trú.
""".splitlines()


def broken(line: int, text: str) -> str:
    lines = list(ENTRY)
    lines[line - 1] = text
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("line", "text", "hint"),
    [
        (12, "      en |", "colon"),  # the tester's: PyYAML noticed it at 14
        (7, "      ja |", "colon"),  # a run-on text: noticed at the next "key:" (10)
        (6, "    answer", "colon"),
        (2, "entries", "colon"),
        (6, "   answer:", "indent"),
        (12, "     en: |", "indent"),
        (3, "\t- id: resident-tax", "tab"),
        (4, '    title: "住民税', "quote"),  # swallows the lines up to the next quote
        (5, "    keywords: [住民税, 税金", "bracket"),  # noticed on line 6
        (4, "    title: {ja: 住民税, en: Resident tax", "bracket"),
    ],
)
def test_the_slip_is_reported_on_its_own_line(line: int, text: str, hint: str) -> None:
    source = broken(line, text)
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.safe_load(source)
    found = fault(source, caught.value)
    assert (found.line, found.hint) == (line, hint), caught.value


def test_the_loader_reports_that_line_and_the_slip(tmp_path: Path) -> None:
    path = tmp_path / "tax.yaml"
    path.write_text(broken(12, "      en |"), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        compose(path)
    assert (caught.value.kind, caught.value.line, caught.value.hint) == ("yaml", 12, "colon")
    assert str(caught.value).startswith(f"{path}:12: not valid YAML")


def test_an_unclosed_quote_at_the_end_of_the_file_names_where_it_opened(tmp_path: Path) -> None:
    source = "\n".join(ENTRY[:13]) + '\n      vi: "Thuế cư trú\n'
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.safe_load(source)
    found = fault(source, caught.value)
    assert (found.line, found.hint) == (14, "quote")
