"""The links benchmark's report: the table of results and RESULTS.md (the table, then notes.md), for run.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _pair(pair: dict[str, Any] | None) -> str:
    if not pair:
        return "–"
    local = pair["local"] + (f"/{pair['relayProtocol']}" if pair.get("relayProtocol") else "")
    return f"{local} → {pair['remote']}"


def _sizes(row: dict[str, Any]) -> str:
    sizes = row.get("video_size") or {}
    return " / ".join(str(sizes.get(side) or "–") for side in ("booth", "agent"))


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "–" if value is None else str(value)


def _ladder(row: dict[str, Any]) -> str:
    """The booth's screen: seconds in each step it showed during the window, in order (the agent's if it differs)."""
    ladder = row.get("ladder")
    if not ladder:
        lifted = row.get("ladder_up_s_after_lift")
        if lifted:
            return (
                f"48 kbit/s: voice after {row.get('ladder_down_s_at_48')} s; lifted: a step up after "
                f"{lifted['first_step_up']} s, video after {lifted['video']} s"
            )
        return "–"

    def side(name: str) -> str:
        seconds = ladder[name]["seconds"]
        spent = ", ".join(f"{step} {seconds[step]} s" for step in dict.fromkeys(ladder[name]["path"]))
        return f"{' → '.join(ladder[name]['path'])} ({spent})"

    booth, agent = side("booth"), side("agent")
    same = ladder["booth"]["path"] == ladder["agent"]["path"]
    return f"both: {booth}" if same else f"booth: {booth}; agent: {agent}"


def table(report: dict[str, Any]) -> str:
    lines = [
        "| scenario | accept → media ms (in-page ref.) | accept → audio ms | connect ms | window s "
        "| concealment booth / agent | video fps booth / agent | video size booth / agent | RTT ms | pair (booth) "
        "| recovery after 10 s blackout (video still again in the next 30 s) | ladder: steps shown, s each |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        if "skipped" in row or "error" in row:
            lines.append(f"| {row['scenario']} | {row.get('skipped') or 'FAILED: ' + row['error']} |||||||||||")
            continue
        media = _cell(row, "accept_to_media_ms")
        if row.get("in_page_reference_ms") is not None:
            media += f" ({row['in_page_reference_ms']})"
        rtt = "–" if row.get("rtt_s") is None else f"{row['rtt_s'] * 1000:.0f}"
        recovery = row.get("recovered_ms_after_link_up")
        stalled = row.get("stalled_again_s") or {}
        recovered = (
            "–"
            if recovery is None
            else " / ".join(
                f"{k} {'never' if v is None else f'{v:.0f} ms'} (then still {stalled.get(k, 0)} s)"
                for k, v in recovery.items()
            )
        )
        lines.append(
            f"| {row['scenario']} | {media} | {_cell(row, 'accept_to_audio_ms')} | {_cell(row, 'connect_ms')} "
            f"| {row['window_s']} | {_pct(row['concealment']['booth'])} / {_pct(row['concealment']['agent'])} "
            f"| {row['video_fps']['booth']} / {row['video_fps']['agent']} | {_sizes(row)} | {rtt} "
            f"| {_pair(row['pair'])} | {recovered} | {_ladder(row)} |"
        )
    return "\n".join(lines)


def write_results(report: dict[str, Any]) -> None:
    (HERE / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    notes = (HERE / "notes.md").read_text() if (HERE / "notes.md").exists() else ""
    machine = report["machine"]
    dates = sorted({row["date"] for row in report["rows"] if row.get("date")}) or [report["date"]]
    when = (
        dates[0]
        if len(dates) == 1
        else f"rows from runs between {dates[0]} and {dates[-1]} (each row's date in `results.json`)"
    )
    text = f"""# Island links benchmark: results

Latest run: {report["date"]}; {when}. {machine["cores"]} cores (shared with other work: load average
{report["load_average"]} at the end of the latest run), {machine["os"]}, {machine["chromium"]},
coturn {machine["coturn"]}.
Reproduce with `.venv/bin/python bench/links/run.py` as root (full data in `results.json`).

{table(report)}

{notes}"""
    (HERE / "RESULTS.md").write_text(text)
