"""Scoring the triage on a labelled set (the ``triage_dev.jsonl`` format), shared by the CLI and ``bench/``.

A line may also name the knowledge-base entry that answers it (``"entry": "<id>"``, or ``null`` for a question no
entry answers: ``bench/data/kb_questions``). Route accuracy alone does not say whether the resident got the right
answer: a question answered with the route's neighbour entry (the lost-card entry for "how do I apply for care
insurance") is a confident wrong answer, worse than being offered two or three topics. Such files then also report
entry accuracy, the share offered, wrong answers and answers to questions the knowledge base has no entry for.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from madoguchi.chatbot.engine import TriageResult
from madoguchi.domain.routes import FALLBACK_ROUTE, ROUTE_IDS, RouteId


class LabelledUtterance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = Field(min_length=1)
    route: RouteId
    handoff: bool
    urgent: bool
    lang: str = "ja"
    # The entry that answers the line; null: no entry does. Absent (not in ``model_fields_set``): not labelled.
    entry: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _entry_questions(cls, data: Any) -> Any:
        """A line labelled with its entry (a resident's question to the knowledge base) may leave out the flags
        (not urgent, no handoff asked for) and may name a department that is not one of the routes (the writer's
        guess for a question no entry answers): that is the general inquiry desk."""
        if not isinstance(data, dict) or "entry" not in data:
            return data
        data = {"handoff": False, "urgent": False, **data}
        if data.get("route") not in ROUTE_IDS:
            data["route"] = FALLBACK_ROUTE.value
        return data

    @property
    def entry_labelled(self) -> bool:
        return "entry" in self.model_fields_set


def read_labelled(path: Path) -> list[LabelledUtterance]:
    rows: list[LabelledUtterance] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                rows.append(LabelledUtterance.model_validate_json(line))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"{path}:{number}: {where}: {first['msg']}") from exc
    return rows


class EvalReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    n: int
    route_accuracy: float
    urgent_recall: float | None  # urgent lines made urgent at once
    safety_recall: float | None  # urgent lines made urgent, or met with the danger question (the target)
    urgent_precision: float | None
    non_urgent: int
    false_urgent: int  # non-urgent lines made urgent
    safety_checks: int  # non-urgent lines met with the danger question
    urgent_checks: int  # urgent lines met with the danger question rather than made urgent at once
    handoff_recall: float | None
    handoff_precision: float | None
    # handoff lines handed off at once, or met with the danger question and handed off after it: an urgent line by
    # the resident's "yes", another by the answer after "no" (``TriageResult.handoff_after_question``)
    handoff_recall_after_question: float | None = None
    handoff_asked_first: int = 0  # handoff lines met with the danger question first
    per_route_accuracy: dict[str, float]
    per_language_accuracy: dict[str, float]
    per_language_false_urgent: dict[str, int]
    per_language_n: dict[str, int]
    confusion: dict[str, dict[str, int]]  # expected → predicted → count (mistakes only)
    latency_ms_p50: float
    latency_ms_p95: float
    missed_urgent: list[str]
    route_errors: list[dict[str, str]]
    # Entry-labelled lines only (all zero / None in a file without an ``entry`` field).
    entry_n: int = 0  # lines with an entry
    entry_accuracy: float | None = None  # the bot answered with that entry
    entry_offered: float | None = None  # that entry was its answer or among its (up to three) suggestions
    entry_wrong: int = 0  # answered with another entry: a confident wrong answer
    none_n: int = 0  # lines no entry answers (``entry: null``)
    none_answered: int = 0  # ... answered with an entry anyway (a wrong answer too)
    per_language_entry: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    entry_errors: list[dict[str, str | None]] = Field(default_factory=list)


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


def answered_entry(result: TriageResult) -> str | None:
    """The entry whose answer the resident was shown: a plain answer, or an entry that always needs a person
    (its answer is shown while the case is handed over)."""
    return result.entry_ids[0] if result.entry_ids and result.answer is not None else None


def offered_entries(result: TriageResult) -> tuple[str, ...]:
    """The answered entry and the suggested ones, in the order the resident sees them."""
    answered = answered_entry(result)
    return (*((answered,) if answered else ()), *(s.entry_id for s in result.suggestions))


def _entry_scores(
    rows: Sequence[LabelledUtterance], results: Sequence[TriageResult]
) -> tuple[dict[str, Counter[str]], list[dict[str, str | None]]]:
    """Per language ("" for all): n, right, offered, wrong, none_n, none_answered; and the lines that went wrong."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[dict[str, str | None]] = []
    for row, result in zip(rows, results, strict=True):
        if not row.entry_labelled:
            continue
        answered = answered_entry(result)
        got = answered or ("suggest:" + ",".join(s.entry_id for s in result.suggestions))
        for key in ("", row.lang):
            c = counts[key]
            if row.entry is None:
                c["none_n"] += 1
                c["none_answered"] += answered is not None
            else:
                c["n"] += 1
                c["right"] += answered == row.entry
                c["offered"] += row.entry in offered_entries(result)[:3]
                c["wrong"] += answered is not None and answered != row.entry
        if answered != row.entry:
            errors.append({"text": result.masked_text, "expected": row.entry, "got": got, "action": result.action})
    return counts, errors


def evaluate(
    triage: Callable[[str], TriageResult],
    rows: Sequence[LabelledUtterance],
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    results: list[TriageResult] = []
    latencies: list[float] = []
    for row in rows:
        started = clock()
        results.append(triage(row.text))
        latencies.append((clock() - started) * 1000)
    return score(rows, results, latencies)


def score(rows: Sequence[LabelledUtterance], results: Sequence[TriageResult], latencies: Iterable[float]) -> EvalReport:
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    per_route: dict[str, list[bool]] = defaultdict(list)
    per_lang: dict[str, list[bool]] = defaultdict(list)
    errors: list[dict[str, str]] = []
    missed_urgent: list[str] = []
    counts = Counter[str]()
    false_by_lang = Counter[str]()
    for row, result in zip(rows, results, strict=True):
        right = result.route == row.route
        per_route[row.route.value].append(right)
        per_lang[row.lang].append(right)
        if not right:
            confusion[row.route.value][result.route.value] += 1
            errors.append({"text": result.masked_text, "expected": row.route.value, "got": result.route.value})
        counts["urgent"] += row.urgent
        counts["urgent_hit"] += row.urgent and (result.urgent or result.safety_check)
        counts["urgent_strict"] += row.urgent and result.urgent
        counts["urgent_checks"] += row.urgent and result.safety_check
        counts["non_urgent"] += not row.urgent
        counts["false_urgent"] += not row.urgent and result.urgent
        counts["safety_checks"] += not row.urgent and result.safety_check
        false_by_lang[row.lang] += not row.urgent and result.urgent
        counts["urgent_flagged"] += result.urgent
        counts["handoff"] += row.handoff
        counts["handoff_hit"] += row.handoff and result.handoff
        asked_first = row.handoff and result.safety_check
        counts["handoff_asked_first"] += asked_first
        counts["handoff_after"] += row.handoff and (
            result.handoff or (asked_first and (row.urgent or result.handoff_after_question))
        )
        counts["handoff_flagged"] += result.handoff
        counts["handoff_right_flag"] += result.handoff and row.handoff
        counts["urgent_right_flag"] += result.urgent and row.urgent
        if row.urgent and not result.urgent and not result.safety_check:
            missed_urgent.append(result.masked_text)
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0

    n = len(rows)
    entry_counts, entry_errors = _entry_scores(rows, results)
    every = entry_counts.get("", Counter[str]())
    return EvalReport(
        n=n,
        route_accuracy=round(sum(r.route == row.route for row, r in zip(rows, results, strict=True)) / n, 4)
        if n
        else 0.0,
        urgent_recall=_ratio(counts["urgent_strict"], counts["urgent"]),
        safety_recall=_ratio(counts["urgent_hit"], counts["urgent"]),
        urgent_precision=_ratio(counts["urgent_right_flag"], counts["urgent_flagged"]),
        non_urgent=counts["non_urgent"],
        false_urgent=counts["false_urgent"],
        safety_checks=counts["safety_checks"],
        urgent_checks=counts["urgent_checks"],
        handoff_recall=_ratio(counts["handoff_hit"], counts["handoff"]),
        handoff_precision=_ratio(counts["handoff_right_flag"], counts["handoff_flagged"]),
        handoff_recall_after_question=_ratio(counts["handoff_after"], counts["handoff"]),
        handoff_asked_first=counts["handoff_asked_first"],
        per_route_accuracy={r: round(sum(v) / len(v), 4) for r in ROUTE_IDS if (v := per_route.get(r))},
        per_language_accuracy={lang: round(sum(v) / len(v), 4) for lang, v in sorted(per_lang.items())},
        per_language_false_urgent={lang: false_by_lang[lang] for lang in sorted(per_lang)},
        per_language_n={lang: len(v) for lang, v in sorted(per_lang.items())},
        confusion={k: dict(v) for k, v in sorted(confusion.items())},
        latency_ms_p50=pct(0.5),
        latency_ms_p95=pct(0.95),
        missed_urgent=missed_urgent,
        route_errors=errors,
        entry_n=every["n"],
        entry_accuracy=_ratio(every["right"], every["n"]),
        entry_offered=_ratio(every["offered"], every["n"]),
        entry_wrong=every["wrong"],
        none_n=every["none_n"],
        none_answered=every["none_answered"],
        per_language_entry={
            lang: {
                "n": c["n"],
                "accuracy": _ratio(c["right"], c["n"]),
                "offered": _ratio(c["offered"], c["n"]),
                "wrong": c["wrong"],
                "none_n": c["none_n"],
                "none_answered": c["none_answered"],
            }
            for lang, c in sorted(entry_counts.items())
            if lang
        },
        entry_errors=entry_errors,
    )


def pct_of(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def format_report(report: EvalReport) -> str:
    """A table a person reads."""

    def f(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        f"utterances        {report.n}",
        f"route accuracy    {f(report.route_accuracy)}",
        f"urgent recall     {f(report.safety_recall)}   (with the danger question; urgent at once "
        f"{f(report.urgent_recall)}, asked first {report.urgent_checks}; precision {f(report.urgent_precision)})",
        f"false urgent      {report.false_urgent} of {report.non_urgent} non-urgent lines "
        f"({pct_of(report.false_urgent, report.non_urgent)})",
        f"safety question   {report.safety_checks} of {report.non_urgent} non-urgent lines "
        f"({pct_of(report.safety_checks, report.non_urgent)})",
        f"handoff recall    {f(report.handoff_recall)}   (precision {f(report.handoff_precision)}; after the danger "
        f"question {f(report.handoff_recall_after_question)}, asked first {report.handoff_asked_first})",
        f"latency p50/p95   {report.latency_ms_p50:.2f} / {report.latency_ms_p95:.2f} ms",
        "",
        f"{'route':<20} {'acc':>6}  mistaken for",
    ]
    for route, accuracy in report.per_route_accuracy.items():
        wrong = ", ".join(f"{k}×{v}" for k, v in sorted(report.confusion.get(route, {}).items(), key=lambda kv: -kv[1]))
        lines.append(f"{route:<20} {accuracy:>6.3f}  {wrong}")
    lines.append("")
    lines.append("")
    lines.append(f"{'language':<10} {'n':>5} {'route acc':>9} {'false urgent':>12}")
    for lang, accuracy in report.per_language_accuracy.items():
        n = report.per_language_n.get(lang, 0)
        lines.append(f"{lang:<10} {n:>5} {accuracy:>9.3f} {report.per_language_false_urgent.get(lang, 0):>12}")
    if report.entry_n or report.none_n:
        lines.extend(["", *format_entry_lines(report)])
    if report.missed_urgent:
        lines.append("")
        lines.append("MISSED URGENT:")
        lines.extend(f"  {t}" for t in report.missed_urgent)
    return "\n".join(lines)


def format_entry_lines(report: EvalReport) -> list[str]:
    """The answers: right entry, offered, wrong answers, and answers where no entry fits; per language."""

    def f(value: float | int | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        f"entry answered    {f(report.entry_accuracy)}   ({report.entry_n} lines with an entry; "
        f"offered as answer or in the top 3: {f(report.entry_offered)})",
        f"wrong answers     {report.entry_wrong} of {report.entry_n} lines with an entry "
        f"({pct_of(report.entry_wrong, report.entry_n)}: answered with another entry)",
        f"answered, no entry fits  {report.none_answered} of {report.none_n} lines "
        f"({pct_of(report.none_answered, report.none_n)})",
        "",
        f"{'language':<10} {'n':>5} {'answered':>8} {'offered':>8} {'wrong':>6} {'no entry: answered':>19}",
    ]
    for lang, c in report.per_language_entry.items():
        none = f"{c['none_answered']} of {c['none_n']}"
        lines.append(f"{lang:<10} {c['n']:>5} {f(c['accuracy']):>8} {f(c['offered']):>8} {c['wrong']:>6} {none:>19}")
    return lines


def report_json(report: EvalReport, *, with_errors: bool = False) -> str:
    data = report.model_dump()
    if not with_errors:
        data.pop("route_errors")
        data.pop("entry_errors")
    return json.dumps(data, ensure_ascii=False)
