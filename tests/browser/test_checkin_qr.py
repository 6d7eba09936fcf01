"""Check-in by QR code in real Chromium: the booking page shows a QR code for a booth booking, and the kiosk reads
it through its camera (Chromium's fake camera plays a video of that very QR code) and checks the resident in.

The fake camera's video is made here from the code the server put in the booking page's SVG: a Y4M file (raw
frames, 4:2:0) whose picture is the QR code's modules, which is what a phone screen held to a tablet shows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import segno
from playwright.async_api import Browser, async_playwright, expect

from madoguchi import keys
from madoguchi.bookings.plan import JST
from tests.bookings_support import running
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, new_page, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser

START = datetime(2026, 12, 7, 7, 50, tzinfo=JST).timestamp()
SIZE = 480  # square frames


def qr_video(text: str, path: Path, frames: int = 10) -> None:
    """A Y4M video of ``text`` as a QR code, black modules on white, centred."""
    matrix = list(segno.make(text, error="m").matrix_iter(scale=1, border=4))
    scale = SIZE // len(matrix)
    offset = (SIZE - scale * len(matrix)) // 2
    luma = bytearray(b"\xff" * SIZE * SIZE)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (offset + y * scale + dy) * SIZE + offset + x * scale
                    luma[start : start + scale] = b"\x00" * scale
    chroma = b"\x80" * (SIZE // 2) * (SIZE // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{SIZE} H{SIZE} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


@pytest.fixture
async def qr_camera_browser(tmp_path: Path) -> AsyncIterator[tuple[Browser, Path]]:
    """Chromium whose fake camera will play ``<tmp>/camera.y4m`` (written by the test before opening the camera)."""
    video = tmp_path / "camera.y4m"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"], headless=True
        )
        try:
            yield launched, video
        finally:
            await launched.close()


async def test_the_kiosk_reads_the_booking_pages_qr_code(
    browser: Browser, qr_camera_browser: tuple[Browser, Path], tmp_path: Path
) -> None:
    kiosk_browser, video = qr_camera_browser
    async with running(tmp_path, start=START) as api:
        status, booked = await api.book(place="nagishima-community-centre", start="2026-12-07T09:00:00+09:00")
        assert status == 201, booked
        code = booked["code"]
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("凪島公民館ブース")
        api.clock.offset += 3600  # 8:50
        phone_context, phone, phone_problems = await new_page(browser, {"width": 390, "height": 844}, phone=True)
        kiosk_context, kiosk, kiosk_problems = await new_page(kiosk_browser, {"width": 1080, "height": 1920})
        try:
            await phone.goto(f"{api.base_url}/book#code={code}")
            qr = phone.get_by_test_id("book-qr")
            await expect(qr).to_be_visible(timeout=WAIT_MS)
            await phone.wait_for_function("() => document.getElementById('book-qr').naturalWidth > 0", timeout=WAIT_MS)
            await shot(phone, "checkin-qr-1-booking")
            status, svg = await api.call("GET", f"/api/bookings/{code}/qr.svg")
            assert status == 200 and svg.startswith("<svg")
            qr_video(f"madoguchi-booking:{code}", video)  # what the phone's screen shows the camera

            await kiosk.goto(api.base_url + kiosk_path)
            await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
            await kiosk.get_by_test_id("checkin-scan").click()
            await expect(kiosk.get_by_test_id("queue-position")).to_have_attribute(
                "data-position", "1", timeout=WAIT_MS
            )
            await expect(kiosk.get_by_test_id("message")).to_contain_text("予約の 方は 先に")
            await expect(kiosk.get_by_test_id("checkin-camera")).to_be_hidden()  # the camera was let go
            await shot(kiosk, "checkin-qr-2-waiting")
            _, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["status"] == "checked_in"
            assert phone_problems == [] and kiosk_problems == []
        finally:
            await phone_context.close()
            await kiosk_context.close()


async def test_a_qr_code_that_is_not_a_booking_is_ignored(
    qr_camera_browser: tuple[Browser, Path], tmp_path: Path
) -> None:
    kiosk_browser, video = qr_camera_browser
    async with running(tmp_path, start=START) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("凪島公民館ブース")
        qr_video("https://example.com/12345674", video)
        kiosk_context, kiosk, problems = await new_page(kiosk_browser, {"width": 1080, "height": 1920})
        try:
            await kiosk.goto(api.base_url + kiosk_path)
            await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
            await kiosk.get_by_test_id("checkin-scan").click()
            await expect(kiosk.get_by_test_id("checkin-camera")).to_be_visible(timeout=WAIT_MS)
            await kiosk.wait_for_function(
                "() => document.getElementById('checkin-camera').videoWidth > 0", timeout=WAIT_MS
            )
            await kiosk.wait_for_timeout(1500)  # several looks at a readable QR code that is not a booking
            await expect(kiosk.get_by_test_id("checkin-code")).to_have_text(re.compile(r"^$"))
            await expect(kiosk.locator('section[data-screen="checkin"]')).to_be_visible()
            await kiosk.get_by_test_id("checkin-scan").click()  # stop
            await expect(kiosk.get_by_test_id("checkin-camera")).to_be_hidden()
            assert problems == []
        finally:
            await kiosk_context.close()
