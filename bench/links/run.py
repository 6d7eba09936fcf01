"""Island links benchmark: booth ↔ console calls in real Chromium over clean, lossy, UDP-less and capped links.

Run from the repository root, as root (namespaces, nftables, tc), with the project's venv:

    .venv/bin/python bench/links/run.py                   # every scenario; writes RESULTS.md and results.json
    .venv/bin/python bench/links/run.py --only clean,lossy --no-write

Each scenario places a real call between the kiosk and the console pages (the product's own JS, unchanged; an
init script only keeps references to the RTCPeerConnections, and forces relay-only ICE where a scenario says so)
and reports, from the agent's click on accept:

* accept → media: remote video playing on both sides; accept → audio: audio samples arriving on both sides;
* connect: the booth's RTCPeerConnection ``connected``;
* over a measured window: audio concealment (``concealedSamples / totalSamplesReceived``) on both sides, the
  decoded video frame rate on both sides, and the selected candidate pair's RTT;
* for ``clean``, the in-page reference beside it: two RTCPeerConnections in one page of the same Chromium, camera
  and microphone start included, measured in the same run.

Scenarios (all on this machine; the booth's "link" is made as stated):

* ``clean``: both pages in one Chromium on loopback, no TURN;
* ``lossy``: 150 ms and 5% loss each way (300 ms RTT) on the booth's TURN/UDP hop, by the userspace impairment
  proxy in front of coturn, relay-only ICE on both pages (the console reaches coturn directly);
* ``udp-blocked``: the booth's Chromium in a network namespace with UDP dropped by nftables; TURN URLs list UDP
  and TCP as for every booth, nothing changed;
* ``cap-512``, ``cap-128``, ``cap-48``: the booth's namespace link capped by ``tc tbf`` each way (kbit/s);
* ``voice-48``: a call set up on a good link, then capped at 48 kbit/s; once both screens show voice (or chat), the
  window measures whether the voice step holds;
* ``cap-lifted``: the booth's link capped at 48 kbit/s mid-call until both screens show voice (or chat), then
  the cap lifted; seconds until both screens show a step up, and video;
* ``blackout``: the booth's namespace link down for 10 s mid-call; time from link up until video decodes again on
  both sides.

Every call runs the step-down ladder (static/js/ladder.js); over each window the bench reads what both screens
show in ``media-mode`` every 0.25 s and reports the steps in order with the seconds spent in each.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from links_report import table, write_results  # noqa: E402  (beside this file)
from playwright.async_api import Page, Playwright, async_playwright  # noqa: E402

from tests.browser.chromium import CHROMIUM  # noqa: E402
from tests.links.calls import (  # noqa: E402
    PageNetwork,
    call_pages,
    full_picture_ms,
    in_page_reference,
    launch,
    measure,
    place_call,
    time_in_modes,
    wait_mode,
    watch_video,
)
from tests.links.coturn import run_coturn  # noqa: E402
from tests.links.impair import Impairment, ImpairmentProxy  # noqa: E402
from tests.links.netns import BoothNetwork, booth_network, unavailable_reason  # noqa: E402
from tests.support import make_settings, serve  # noqa: E402

SCENARIOS = ("clean", "lossy", "udp-blocked", "cap-512", "cap-128", "cap-48", "voice-48", "cap-lifted", "blackout")
BLACKOUT_S = 10.0
AFTER_BLACKOUT_WATCH_S = 30.0
# Production's grace period (the tests' is 3 s): a starved or cut link can cost the signaling socket too.
PRODUCTION_GRACE_S = 30.0
# How long each call waits (from the accept, beside its window) for the camera's full 1280x720 on both sides.
FULL_PICTURE_WAIT_S = 8.0
TRACE = os.environ.get("LINKS_TRACE") == "1"  # clean: first packets and frames in the timeline (costs page work)


def _window_row(name: str, times: Any, booth: Any, agent: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "scenario": name,
        "accept_to_media_ms": times.accept_to_media_ms,
        "accept_to_audio_ms": times.accept_to_audio_ms,
        "connect_ms": times.connect_ms.get("booth"),
        "window_s": booth.seconds,
        "concealment": {"booth": booth.concealment, "agent": agent.concealment},
        "video_fps": {"booth": booth.video_fps, "agent": agent.video_fps},
        "video_size": {"booth": booth.video_size, "agent": agent.video_size},
        "rtt_s": booth.rtt_s,
        "pair": booth.pair,
        "timeline": times.timeline,
        **(extra or {}),
    }


async def _call_and_measure(
    name: str, booth: Page, agent: Page, window_s: float, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    times = await place_call(booth, agent, timeout_ms=60_000)
    at_booth, at_agent, ladder_booth, ladder_agent, full = await asyncio.gather(
        measure(booth, window_s),
        measure(agent, window_s),
        time_in_modes(booth, window_s),
        time_in_modes(agent, window_s),
        full_picture_ms({"booth": booth, "agent": agent}, times.accepted_at, FULL_PICTURE_WAIT_S),
    )
    extra = {**(extra or {}), "ladder": {"booth": ladder_booth, "agent": ladder_agent}, "full_picture_ms": full}
    return _window_row(name, times, at_booth, at_agent, extra)


async def clean(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
    browser = await launch(playwright)
    rows, references = [], []
    try:
        for index in range(calls):  # a fresh server per call: nobody left over from the previous one
            async with serve(make_settings(work / f"clean-{index}", grace_period_s=PRODUCTION_GRACE_S)) as server:
                ref_page = await browser.new_page()
                await ref_page.goto(server.base_url + "/login")
                references.append(await in_page_reference(ref_page))
                await ref_page.close()
                traced = PageNetwork(trace=TRACE)
                async with call_pages(server, browser, browser, booth_network=traced, agent_network=traced) as (
                    booth,
                    agent,
                ):
                    rows.append(await _call_and_measure("clean", booth, agent, window_s if index == 0 else 1.0))
    finally:
        await browser.close()
    row = rows[0]
    media = [r["accept_to_media_ms"] for r in rows]
    row["calls"] = calls
    row["accept_to_media_ms_all"] = media
    row["accept_to_media_ms"] = round(statistics.median(media), 1)
    row["accept_to_audio_ms"] = round(statistics.median([r["accept_to_audio_ms"] for r in rows]), 1)
    row["connect_ms"] = round(statistics.median([r["connect_ms"] for r in rows]), 1)
    row["timeline"] = _median_timeline([r["timeline"] for r in rows])
    fulls = [_later(r["full_picture_ms"]) for r in rows]
    row["full_picture_ms_all"] = fulls
    reached = [ms for ms in fulls if ms is not None]
    row["full_picture_ms"] = round(statistics.median(reached), 1) if len(reached) > len(rows) / 2 else None
    row["in_page_reference_ms_all"] = references
    row["in_page_reference_ms"] = round(statistics.median(references), 1)
    return row


def _later(per_side: dict[str, float | None]) -> float | None:
    """The later of both sides' times, None when a side has none."""
    values = list(per_side.values())
    return None if not values or None in values else max(v for v in values if v is not None)


def _median_timeline(timelines: list[dict[str, list[tuple[str, float]]]]) -> dict[str, list[tuple[str, float]]]:
    """Per side, each setup step's median ms over the calls that reached it, in the order of those medians."""
    out: dict[str, list[tuple[str, float]]] = {}
    for side in ("booth", "agent"):
        moments: dict[str, list[float]] = {}
        for timeline in timelines:
            for name, ms in timeline.get(side, []):
                moments.setdefault(name, []).append(ms)
        steps = [(name, round(statistics.median(ms), 1)) for name, ms in moments.items()]
        out[side] = sorted(steps, key=lambda step: step[1])
    return out


async def lossy(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
    island = Impairment(delay_s=0.150, loss=0.05)
    with run_coturn(work / "coturn-lossy") as turn:
        proxy = ImpairmentProxy(target=(turn.host, turn.port), up_link=island, down_link=island, seed=2026)
        host, port = await proxy.start(turn.host)
        try:
            settings = make_settings(
                work / "lossy",
                turn_urls=[f"turn:{host}:{port}?transport=udp"],
                turn_secret=turn.secret,
                grace_period_s=PRODUCTION_GRACE_S,
            )
            office = PageNetwork(relay_only=True, rewrite=((f"{host}:{port}", f"{turn.host}:{turn.port}"),))
            async with serve(settings) as server:
                browser = await launch(playwright)
                try:
                    async with call_pages(
                        server, browser, browser, booth_network=PageNetwork(relay_only=True), agent_network=office
                    ) as (booth, agent):
                        row = await _call_and_measure("lossy", booth, agent, window_s)
                finally:
                    await browser.close()
        finally:
            proxy.close()
    row["proxy"] = proxy.counters.as_dict()
    return row


async def _in_namespace(
    playwright: Playwright,
    work: Path,
    name: str,
    prepare: Callable[[BoothNetwork], None],
    run: Callable[[BoothNetwork, Page, Page], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Booth Chromium inside a fresh namespace, console Chromium on the host; server and coturn on the veth."""
    with booth_network() as net:
        prepare(net)
        subnet = f"{net.host_ip}/30"
        with run_coturn(work / f"coturn-{name}", listen=(net.host_ip,), relay=net.host_ip, allow_peers=(subnet,)) as t:
            settings = make_settings(
                work / name, turn_urls=t.urls("udp", "tcp"), turn_secret=t.secret, grace_period_s=PRODUCTION_GRACE_S
            )
            async with serve(settings, host=net.host_ip) as server:
                booth_browser = await launch(
                    playwright, executable=net.wrapper(work, CHROMIUM), origins=(server.base_url,)
                )
                agent_browser = await launch(playwright, origins=(server.base_url,))
                try:
                    async with call_pages(server, booth_browser, agent_browser) as (booth, agent):
                        return await run(net, booth, agent)
                finally:
                    await booth_browser.close()
                    await agent_browser.close()


async def udp_blocked(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
    async def run(net: BoothNetwork, booth: Page, agent: Page) -> dict[str, Any]:
        row = await _call_and_measure("udp-blocked", booth, agent, window_s)
        row["udp_datagrams_dropped"] = net.udp_dropped()
        return row

    return await _in_namespace(playwright, work, "udp-blocked", BoothNetwork.block_udp, run)


def capped(kbit: int) -> Callable[[Playwright, Path, float, int], Awaitable[dict[str, Any]]]:
    async def scenario(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
        async def run(net: BoothNetwork, booth: Page, agent: Page) -> dict[str, Any]:
            # Capped once both pages are loaded: a booth loads its page long before a call, and at 48 kbit/s the
            # kiosk page alone (about 165 KB, unminified and uncompressed) takes longer than the 30 s allowed here.
            net.cap_rate(kbit)
            try:
                row = await _call_and_measure(f"cap-{kbit}", booth, agent, window_s, {"cap_kbit": kbit})
                row["connections"] = {
                    side: await page.evaluate("() => window.__links.pcs.map((pc) => pc.connectionState)")
                    for side, page in (("booth", booth), ("agent", agent))
                }
                row["negotiations"] = {
                    side: await page.evaluate(
                        "() => window.__links.events.filter(([n]) => /^(local|remote) /.test(n)).map(([n]) => n)"
                    )
                    for side, page in (("booth", booth), ("agent", agent))
                }
                return row
            except Exception as exc:  # a call that never sets up is this scenario's result, not a crash
                return {"scenario": f"cap-{kbit}", "cap_kbit": kbit, "error": f"{type(exc).__name__}: {exc}"[:300]}

        return await _in_namespace(playwright, work, f"cap-{kbit}", lambda net: None, run)

    return scenario


async def cap_lifted(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
    """48 kbit/s until both screens show voice (or chat), then the cap lifted: how long until video again."""

    async def run(net: BoothNetwork, booth: Page, agent: Page) -> dict[str, Any]:
        pages = {"booth": booth, "agent": agent}
        times = await place_call(booth, agent, timeout_ms=60_000)
        net.cap_rate(48)
        down_s = await wait_mode(pages, {"audio", "chat"}, 60.0)
        net.uncap()
        lifted = time.monotonic()
        up_s = await wait_mode(pages, {"low-video", "video"}, 120.0)
        video_s = await wait_mode(pages, {"video"}, 120.0 - (time.monotonic() - lifted))
        video_after_lift_s = None if video_s is None else round(time.monotonic() - lifted, 1)
        after_booth, after_agent = await asyncio.gather(measure(booth, 5.0), measure(agent, 5.0))
        row = _window_row("cap-lifted", times, after_booth, after_agent)
        row["ladder_down_s_at_48"] = down_s
        row["ladder_up_s_after_lift"] = {
            "first_step_up": up_s,
            "video": video_after_lift_s,
        }
        return row

    return await _in_namespace(playwright, work, "cap-lifted", lambda net: None, run)


async def voice_48(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
    """A call set up on a good link, then capped at 48 kbit/s: once both screens show voice (or chat), the
    window measures whether the voice step holds (steps shown, concealment both ways)."""

    async def run(net: BoothNetwork, booth: Page, agent: Page) -> dict[str, Any]:
        pages = {"booth": booth, "agent": agent}
        times = await place_call(booth, agent, timeout_ms=60_000)
        net.cap_rate(48)
        down_s = await wait_mode(pages, {"audio", "chat"}, 60.0)
        at_booth, at_agent, ladder_booth, ladder_agent = await asyncio.gather(
            measure(booth, window_s),
            measure(agent, window_s),
            time_in_modes(booth, window_s),
            time_in_modes(agent, window_s),
        )
        row = _window_row("voice-48", times, at_booth, at_agent, {"cap_kbit": 48})
        row["ladder"] = {"booth": ladder_booth, "agent": ladder_agent}
        row["ladder_down_s_at_48"] = down_s
        row["negotiations"] = {
            side: await page.evaluate(
                "() => window.__links.events.filter(([n]) => /^(local|remote) /.test(n)).map(([n]) => n)"
            )
            for side, page in pages.items()
        }
        return row

    return await _in_namespace(playwright, work, "voice-48", lambda net: None, run)


async def blackout(playwright: Playwright, work: Path, window_s: float, calls: int) -> dict[str, Any]:
    async def run(net: BoothNetwork, booth: Page, agent: Page) -> dict[str, Any]:
        times = await place_call(booth, agent, timeout_ms=60_000)
        await asyncio.sleep(3.0)
        net.link_down()
        await asyncio.sleep(BLACKOUT_S)
        net.link_up()
        watched = await watch_video({"booth": booth, "agent": agent}, AFTER_BLACKOUT_WATCH_S)
        after_booth, after_agent = await asyncio.gather(measure(booth, 5.0), measure(agent, 5.0))
        made = {
            side: await page.evaluate("() => window.__links.pcs.length")
            for side, page in (("booth", booth), ("agent", agent))
        }
        row = _window_row("blackout", times, after_booth, after_agent)
        row["blackout_s"] = BLACKOUT_S
        row["peer_connections_made"] = made
        row["recovered_ms_after_link_up"] = {
            side: None if w["back_s"] is None else round(w["back_s"] * 1000) for side, w in watched.items()
        }
        row["stalled_again_s"] = {side: w["stalled_after_s"] for side, w in watched.items()}
        row["watched_s"] = AFTER_BLACKOUT_WATCH_S
        return row

    return await _in_namespace(playwright, work, "blackout", lambda net: None, run)


RUNNERS: dict[str, Callable[[Playwright, Path, float, int], Awaitable[dict[str, Any]]]] = {
    "clean": clean,
    "lossy": lossy,
    "udp-blocked": udp_blocked,
    "cap-512": capped(512),
    "cap-128": capped(128),
    "cap-48": capped(48),
    "voice-48": voice_48,
    "cap-lifted": cap_lifted,
    "blackout": blackout,
}
NEEDS_ROOT = {"udp-blocked", "cap-512", "cap-128", "cap-48", "voice-48", "cap-lifted", "blackout"}


async def run(only: list[str], windows: dict[str, float], calls: int) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-links-") as temp:
        work = Path(temp)
        async with async_playwright() as playwright:
            for name in only:
                if name in NEEDS_ROOT and (reason := unavailable_reason()) is not None:
                    rows.append({"scenario": name, "skipped": reason})
                    continue
                started = time.monotonic()
                window = windows.get(name, windows["default"])
                try:
                    row = await asyncio.wait_for(RUNNERS[name](playwright, work, window, calls), timeout=window + 240)
                except Exception as exc:
                    row = {"scenario": name, "error": f"{type(exc).__name__}: {exc}"[:400]}
                row["took_s"] = round(time.monotonic() - started, 1)
                row["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                print(json.dumps(row, ensure_ascii=False), flush=True)
                rows.append(row)
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "load_average": _load(),
        "rows": rows,
    }


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _machine() -> dict[str, str]:
    import subprocess

    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30, check=False)
    coturn = subprocess.run(["turnserver", "--version"], capture_output=True, text=True, timeout=30, check=False)
    return {
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "chromium": chromium.stdout.strip(),
        "coturn": coturn.stdout.strip().splitlines()[-1] if coturn.stdout.strip() else "?",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}")
    parser.add_argument("--window", type=float, default=20.0, help="measured window per scenario, s (default 20)")
    parser.add_argument("--lossy-window", type=float, default=60.0, help="window for 'lossy', s (default 60)")
    parser.add_argument("--calls", type=int, default=5, help="calls for 'clean' (median; default 5)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")
    parser.add_argument(
        "--merge", action="store_true", help="keep the other scenarios' rows of results.json (each row has its date)"
    )
    parser.add_argument(
        "--jsonl", type=Path, default=None, help="also append every row (with --label, date, load) to this file"
    )
    parser.add_argument("--label", default="", help="names the code under test in --jsonl rows (e.g. before, after)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in only if name not in RUNNERS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {SCENARIOS}")
    if not (1 <= args.window <= 300 and 1 <= args.lossy_window <= 300 and 1 <= args.calls <= 50):
        parser.error("--window/--lossy-window must be 1-300 s, --calls 1-50")
    report = asyncio.run(run(only, {"default": args.window, "lossy": args.lossy_window}, args.calls))
    if args.jsonl is not None:  # this run's rows only, before --merge adds the kept ones
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        load = {"start": [round(x, 2) for x in load_before], "end": [round(x, 2) for x in os.getloadavg()]}
        with args.jsonl.open("a") as out:
            for row in report["rows"]:
                out.write(
                    json.dumps({"label": args.label, "run": stamp, "load": load, **row}, ensure_ascii=False) + "\n"
                )
    if args.merge and (HERE / "results.json").exists():
        earlier = json.loads((HERE / "results.json").read_text())
        fresh = {row["scenario"]: row for row in report["rows"]}
        kept = [fresh.pop(row["scenario"], row) for row in earlier["rows"]]
        report["rows"] = kept + list(fresh.values())
    print(table(report))
    if not args.no_write:
        write_results(report)


if __name__ == "__main__":
    main()
