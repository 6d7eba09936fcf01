"""One Chromium for the whole browser run, a fresh set of contexts for each test.

Starting Playwright's driver and launching Chromium took 2 to 3 s a test on the 2-core machine, more than many
of the tests themselves. Chromium is now launched once (on the session's event loop, which every test and
fixture in this folder runs on, since Playwright's objects belong to the loop that made them); each test still
makes its own contexts (own cookies, storage, permissions and cache), and whatever contexts a test leaves open
are closed after it, so no page of one test is alive in the next. If Chromium is gone (crashed), the next test
launches it again.

With one loop for the folder, the tasks a test leaves behind are cancelled after it, as closing the test's own
loop did before.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Playwright, async_playwright

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_PRESENT, forget_page_logs, page_logs_text

HERE = Path(__file__).resolve().parent
LOOP = "session"


def _in_this_folder(path: Path) -> bool:
    return path.resolve().is_relative_to(HERE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder runs on the session's loop, the one Chromium was launched on."""
    for item in items:
        if _in_this_folder(item.path) and item.get_closest_marker("asyncio") is not None:
            item.add_marker(pytest.mark.asyncio(loop_scope=LOOP), append=False)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Each test starts with no page lines kept (chromium.py keeps each page's last console lines)."""
    if _in_this_folder(item.path):
        forget_page_logs()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report shows what its pages said (warnings, logs, debug lines), not only their errors: a race
    seen once in CI is read from that run's output."""
    report: pytest.TestReport = yield
    if report.failed and _in_this_folder(item.path):
        text = page_logs_text()
        if text:
            report.sections.append((f"browser console ({call.when})", text))
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> Iterator[None]:
    """The async fixtures these tests use (``live_server``, each module's ``server``...) run on the same loop as the
    tests: pytest-asyncio reads the loop of a fixture from its function's ``_loop_scope``, set here only while
    this folder's fixture is being set up (``live_server`` is shared with the other folders)."""
    func = getattr(fixturedef.func, "__func__", fixturedef.func)
    wanted = (
        _in_this_folder(request.node.path)
        and (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func))
        and getattr(func, "_loop_scope", None) is None
    )
    if not wanted:
        return (yield)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(func, "_loop_scope", LOOP, raising=False)
        return (yield)


class SharedChromium:
    """Playwright's driver and one Chromium, launched on first use and again if Chromium went away."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def get(self) -> Browser:
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        return self._browser

    async def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            await self._browser.close()
        if self._playwright is not None:
            await self._playwright.stop()


@pytest_asyncio.fixture(scope="session", loop_scope=LOOP)
async def shared_chromium() -> AsyncIterator[SharedChromium]:
    shared = SharedChromium()
    try:
        yield shared
    finally:
        await shared.close()


@pytest_asyncio.fixture(loop_scope=LOOP)
async def browser(shared_chromium: SharedChromium) -> AsyncIterator[Browser]:
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set MADOGUCHI_CHROMIUM)")
    launched = await shared_chromium.get()
    try:
        yield launched
    finally:
        for context in list(launched.contexts):
            await context.close()


@pytest_asyncio.fixture(autouse=True, loop_scope=LOOP)
async def _cancel_left_tasks() -> AsyncIterator[None]:
    """Cancel (and wait for) the tasks a test started and left running, except Playwright's own."""
    before = asyncio.all_tasks()
    yield
    current = asyncio.current_task()
    left = [
        task
        for task in asyncio.all_tasks()
        if task not in before and task is not current and not task.done() and not _playwrights(task)
    ]
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)


def _playwrights(task: asyncio.Task[object]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and "playwright" in code.co_filename
