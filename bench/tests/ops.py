"""What the test suite pays again and again, timed one by one: a test server's start and stop, an account's
password hash and check, and a browser test's Chromium.

Each is timed the old way and the way the suite does it now, alternately (so a busy machine slows both alike),
and the medians are written to ``bench/tests/ops.json``. Run: ``.venv/bin/python -m bench.tests.ops [--repeat N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from argon2 import PasswordHasher
from playwright.async_api import Browser, async_playwright

from madoguchi.app import create_app
from madoguchi.storage.testing import fast_password_hasher
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support import app_for_tests, database_from_template, make_settings

OUT = Path(__file__).with_name("ops.json")


async def server_start(new: bool) -> None:
    """Before: the triage engine built and the schema migrated for each server; now the engine is shared and
    the database a copy of one migrated once."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp))
        if new:
            await database_from_template(settings)
        app = app_for_tests(settings) if new else create_app(settings)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()  # runs cleanup_ctx: database, triage, counter
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        await runner.cleanup()


async def password(new: bool) -> None:
    hasher = fast_password_hasher() if new else PasswordHasher()
    stored = await asyncio.to_thread(hasher.hash, "correct horse battery")  # add_agent
    await asyncio.to_thread(hasher.verify, stored, "correct horse battery")  # the agent logs in


async def browser_test(new: bool, shared: list[Browser]) -> None:
    """What a browser test pays besides its own pages: before, Playwright's driver and Chromium started and stopped
    for each test; now one Chromium, and a test opens and closes its contexts."""
    if new:
        context = await shared[0].new_context()
        await (await context.new_page()).goto("about:blank")
        await context.close()
        return
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await launched.new_context()
        await (await context.new_page()).goto("about:blank")
        await context.close()
        await launched.close()


async def timed(step: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await step()
    return time.perf_counter() - started


async def main(repeat: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    async with async_playwright() as playwright:
        shared = [await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)]
        steps: dict[str, Callable[[bool], Awaitable[None]]] = {
            "server_start_stop": server_start,
            "password_hash_and_login": password,
            "browser_test_overhead": lambda new: browser_test(new, shared),
        }
        for name, step in steps.items():
            await step(True)  # warm: the first engine build, the first import
            await step(False)
            before: list[float] = []
            after: list[float] = []
            for _ in range(repeat):
                before.append(await timed(lambda: step(False)))  # noqa: B023 - called at once
                after.append(await timed(lambda: step(True)))  # noqa: B023
            results[name] = {
                "before_median_s": round(statistics.median(before), 3),
                "after_median_s": round(statistics.median(after), 3),
                "ratio": round(statistics.median(before) / statistics.median(after), 1),
                "repeat": repeat,
            }
            print(name, results[name], flush=True)
        await shared[0].close()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[0]
    results = asyncio.run(main(args.repeat))
    results["machine"] = {"load_average_at_start": float(load)}
    OUT.write_text(json.dumps(results, indent=2) + "\n")
