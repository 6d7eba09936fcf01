"""``madoguchi triage --eval`` on lines labelled with their knowledge-base entry: route accuracy does not say whether
the resident got the right answer, so such a file also reports the right entry answered, the entry offered (answer
or top-three suggestions), confident wrong answers, and answers to questions no entry answers (``entry: null``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madoguchi.chatbot.engine import Suggestion, TriageResult
from madoguchi.chatbot.evaluation import format_report, read_labelled, report_json, score
from madoguchi.domain.routes import RouteId


def _result(action: str, entry: str | None = None, suggested: tuple[str, ...] = ()) -> TriageResult:
    return TriageResult(
        route=RouteId.ELDERLY_CARE,
        confidence=0.9,
        handoff=action == "handoff",
        urgent=False,
        masked_text="q",
        language="ja",
        action=action,  # type: ignore[arg-type]
        answer="text" if entry else None,
        entry_ids=(entry,) if entry else (),
        suggestions=tuple(Suggestion(entry_id=s, route=RouteId.ELDERLY_CARE, title=s) for s in suggested),
    )


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_entry_lines_need_no_flags_and_an_unknown_department_is_the_general_desk(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {"text": "介護保険の申請", "entry": "care-certification-consult", "route": "elderly_care", "lang": "ja"},
            {"text": "田んぼを売りたい", "entry": None, "route": "industry_agriculture", "lang": "ja"},
        ],
    )
    rows = read_labelled(path)
    assert [r.entry for r in rows] == ["care-certification-consult", None]
    assert all(r.entry_labelled and not r.urgent and not r.handoff for r in rows)
    assert rows[1].route == RouteId.GENERAL_INQUIRY


def test_a_triage_line_without_an_entry_still_needs_its_flags_and_a_real_route(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"questions\.jsonl:1: handoff"):
        read_labelled(_write(tmp_path, [{"text": "x", "route": "tax", "urgent": False}]))
    with pytest.raises(ValueError, match=r"questions\.jsonl:1: route"):
        read_labelled(_write(tmp_path, [{"text": "x", "route": "farming", "urgent": False, "handoff": False}]))
    row = read_labelled(_write(tmp_path, [{"text": "x", "route": "tax", "urgent": False, "handoff": False}]))[0]
    assert not row.entry_labelled


def test_right_offered_wrong_and_answered_without_an_entry_per_language(tmp_path: Path) -> None:
    lines = [
        ("a", "care-certification-consult", "ja"),  # answered with it
        ("b", "care-certification-consult", "ja"),  # answered with another: a wrong answer
        ("c", "care-certification-consult", "en"),  # offered among the suggestions
        ("d", "care-certification-consult", "en"),  # handed over with the entry's answer shown: answered
        ("e", None, "en"),  # no entry fits, answered anyway
        ("f", None, "ja"),  # no entry fits, topics offered
    ]
    rows = read_labelled(
        _write(tmp_path, [{"text": t, "entry": e, "route": "elderly_care", "lang": g} for t, e, g in lines])
    )
    results = [
        _result("answer", "care-certification-consult"),
        _result("answer", "care-insurance-card-lost"),
        _result("clarify", suggested=("care-insurance-overview", "care-certification-consult")),
        _result("handoff", "care-certification-consult"),
        _result("answer", "office-hours"),
        _result("clarify", suggested=("office-hours",)),
    ]
    report = score(rows, results, [1.0] * len(rows))
    assert (report.entry_n, report.entry_accuracy, report.entry_offered, report.entry_wrong) == (4, 0.5, 0.75, 1)
    assert (report.none_n, report.none_answered) == (2, 1)
    assert report.per_language_entry["ja"] == {
        "n": 2, "accuracy": 0.5, "offered": 0.5, "wrong": 1, "none_n": 1, "none_answered": 0
    }  # fmt: skip
    assert report.per_language_entry["en"]["offered"] == 1.0
    assert report.per_language_entry["en"]["none_answered"] == 1
    assert [e["expected"] for e in report.entry_errors] == ["care-certification-consult"] * 2 + [None]

    text = format_report(report)
    assert "entry answered    0.500" in text and "wrong answers     1 of 4" in text
    assert "answered, no entry fits  1 of 2" in text
    data = json.loads(report_json(report))
    assert data["entry_accuracy"] == 0.5 and data["none_answered"] == 1 and "entry_errors" not in data
    assert "entry_errors" in json.loads(report_json(report, with_errors=True))


def test_a_file_without_entries_prints_what_it_printed_before(tmp_path: Path) -> None:
    rows = read_labelled(_write(tmp_path, [{"text": "x", "route": "elderly_care", "urgent": False, "handoff": False}]))
    report = score(rows, [_result("answer", "care-insurance-overview")], [1.0])
    assert report.entry_n == 0 and report.entry_accuracy is None
    assert "entry answered" not in format_report(report)
