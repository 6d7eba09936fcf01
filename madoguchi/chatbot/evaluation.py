"""Scoring the triage on a labelled set (the ``triage_dev.jsonl`` format), shared by the CLI and ``bench/``."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from madoguchi.chatbot.engine import TriageResult
from madoguchi.domain.routes import ROUTE_IDS, RouteId


class LabelledUtterance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = Field(min_length=1)
    route: RouteId
    handoff: bool
    urgent: bool
    lang: str = "ja"


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


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


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
    if report.missed_urgent:
        lines.append("")
        lines.append("MISSED URGENT:")
        lines.extend(f"  {t}" for t in report.missed_urgent)
    return "\n".join(lines)


def report_json(report: EvalReport, *, with_errors: bool = False) -> str:
    data = report.model_dump()
    if not with_errors:
        data.pop("route_errors")
    return json.dumps(data, ensure_ascii=False)
