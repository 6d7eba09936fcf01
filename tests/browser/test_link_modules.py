"""The pure parts of the island-link code, run in real Chromium: sdp.js asks for 60 ms voice packets in the audio
sections only, and quality.js sums a call's ladder samples into the record's summary.

No server and no call: the modules are served to a blank page by Playwright's router and imported there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from tests.browser.chromium import new_page

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "madoguchi" / "static"
ORIGIN = "http://links.test"

SDP = "\r\n".join(
    [
        "v=0",
        "o=- 1 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63",
        "c=IN IP4 0.0.0.0",
        "a=mid:0",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:63 red/48000/2",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=rtpmap:96 VP8/90000",
        "",
    ]
)


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context, page, problems = await new_page(browser, {"width": 800, "height": 600})

    async def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            await route.fulfill(body="<!doctype html><title>links</title>", content_type="text/html")
        else:
            file = STATIC / path.removeprefix("/static/")
            await route.fulfill(body=file.read_text(), content_type="text/javascript")

    await page.route(f"{ORIGIN}/**", serve)
    await page.goto(ORIGIN + "/")
    yield page
    await context.close()
    assert problems == []


async def run(page: Page, module: str, script: str, arg: Any = None) -> Any:
    return await page.evaluate(
        f"async (arg) => {{ const M = await import('/static/js/{module}'); {script} }}",
        arg,
    )


async def test_the_packet_time_goes_into_the_audio_section_only_and_comes_out_again(page: Page) -> None:
    out = await run(
        page,
        "sdp.js",
        """
        const slow = M.withPacketTime(arg, 60);
        const again = M.withPacketTime(slow, 60);
        const back = M.withPacketTime(slow, null);
        let refused = null;
        try { M.withPacketTime(arg, 7); } catch (err) { refused = String(err); }
        return { slow, again, back, time: M.packetTimeOf(slow), none: M.packetTimeOf(back), refused };
        """,
        SDP,
    )
    audio, video = out["slow"].split("m=video")
    assert audio.endswith("a=rtpmap:63 red/48000/2\r\na=ptime:60\r\n")
    assert "ptime" not in video
    assert out["again"] == out["slow"], "asking twice names it once"
    assert out["back"] == SDP
    assert (out["time"], out["none"]) == (60, None)
    assert "bad packet time 7" in out["refused"]


async def test_a_call_without_opus_is_left_alone(page: Page) -> None:
    no_opus = SDP.replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 PCMU/8000")
    assert await run(page, "sdp.js", "return M.withPacketTime(arg, 60);", no_opus) == no_opus


async def test_the_quality_summary_of_a_call_that_fell_to_voice(page: Page) -> None:
    out = await run(
        page,
        "quality.js",
        """
        const q = new M.QualitySummary();
        q.step("video", 0);
        const rtts = [0.3, 0.31, 0.32, 1.2];
        rtts.forEach((rtt, i) => q.add({ rtt, loss: i === 3 ? 0.2 : 0.01, freezes: i === 3 ? 2 : 0, jitter: 0.02,
                                         concealed: i === 3 ? 4800 : 0, audioSamples: 96000 }));
        q.add({ rtt: null, loss: null, freezes: 0 });
        q.step("low-video", 10_000);
        q.step("audio", 14_000);
        q.step("low-video", 44_000);
        return q.summary(50_000);
        """,
    )
    assert out == {
        "samples": 5,
        "rtt_ms": {"min": 300, "median": 315, "max": 1200},
        "loss_pct": {"median": 1.0, "max": 20.0},
        "jitter_ms": {"median": 20},
        "freezes": 2,
        "concealment_pct": 1.3,  # 4,800 of 384,000 samples made up
        "worst_step": "audio",
        "seconds": {"video": 10.0, "low_video": 10.0, "audio": 30.0, "chat": 0.0},
    }


async def test_a_summary_before_any_sample_says_nothing_it_does_not_know(page: Page) -> None:
    out = await run(page, "quality.js", "return new M.QualitySummary().summary(1000);")
    assert out["rtt_ms"] == {"min": None, "median": None, "max": None}
    assert out["loss_pct"] == {"median": None, "max": None}
    assert (out["samples"], out["worst_step"]) == (0, "video")
    assert out["concealment_pct"] is None, "no audio received: no concealment figure"
