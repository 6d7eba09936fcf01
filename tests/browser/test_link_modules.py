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


async def test_the_console_answers_as_the_dtls_server_and_nothing_else_changes(page: Page) -> None:
    answer = SDP.replace("a=mid:0", "a=mid:0\r\na=setup:active").replace("a=mid:1", "a=mid:1\r\na=setup:active")
    out = await run(page, "sdp.js", "return [M.asDtlsServer(arg), M.asDtlsServer(M.asDtlsServer(arg))];", answer)
    assert out[0] == answer.replace("a=setup:active", "a=setup:passive")
    assert out[1] == out[0]
    assert await run(page, "sdp.js", "return M.asDtlsServer(arg);", SDP) == SDP, "no setup line: left alone"


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


# A socket that answers `selftest.servers` with one TURN login and records every request, as net.js sends them.
FAKE_SOCKET = """
  const sent = [];
  const socket = { id: "s1", connected: true, timeout: () => ({ emitWithAck: async (event, payload) => {
    sent.push([event, payload]);
    if (event === "selftest.servers") return { ok: true, ice_servers: arg.servers };
    return { ok: true };
  } }) };
"""


async def test_the_warm_path_makes_one_pooled_connection_and_gives_it_away_once(page: Page) -> None:
    servers = [
        {"urls": ["turn:127.0.0.1:9?transport=udp"], "username": "4000000000:selftest-b1.resident", "credential": "x"}
    ]
    out = await run(
        page,
        "warmpath.js",
        FAKE_SOCKET
        + """
        const made = [];
        const Native = window.RTCPeerConnection;
        window.RTCPeerConnection = class extends Native {
          constructor(config) { super(config); made.push(config); }
        };
        const path = new M.WarmPath({ socket });
        path.keep(true);
        path.keep(true); // asked again while the login is on its way: still one
        await new Promise((r) => setTimeout(r, 50));
        const taken = path.take();
        const again = path.take();
        path.keep(false); // what the call took over is the call's: not closed here
        path.keep(true);
        await new Promise((r) => setTimeout(r, 50));
        const second = path.pc;
        path.keep(false);
        window.RTCPeerConnection = Native;
        return { made, sent: sent.map(([e]) => e), taken: taken?.signalingState, again, kept: taken?.connectionState,
                 secondClosed: second?.signalingState };
        """,
        {"servers": servers},
    )
    assert out["sent"] == ["selftest.servers", "selftest.servers"]
    assert [c["iceCandidatePoolSize"] for c in out["made"]] == [1, 1]
    assert out["made"][0]["iceServers"] == servers
    assert (out["taken"], out["again"], out["kept"]) == ("stable", None, "new")
    assert out["secondClosed"] == "closed", "a warm connection nobody took is closed when the waiting ends"


async def test_the_warm_path_is_made_again_well_before_its_login_expires(page: Page) -> None:
    out = await run(
        page,
        "warmpath.js",
        """
        const at = (expiry) => [{ urls: "turn:h:3478", username: `${expiry}:selftest-b1.resident`, credential: "x" }];
        const now = 1_000_000_000_000; // ms
        return {
          hour: M.refreshAfterMs(at(now / 1000 + 3600), now),
          minute: M.refreshAfterMs(at(now / 1000 + 60), now),
          gone: M.refreshAfterMs(at(now / 1000 - 5), now),
          none: M.refreshAfterMs([{ urls: "turn:h:3478", username: "plain", credential: "x" }], now),
          turn: M.hasTurn(at(1)),
          stunOnly: M.hasTurn([{ urls: ["stun:h:3478"] }]),
          noLogin: M.hasTurn([{ urls: "turn:h:3478" }]),
        };
        """,
    )
    assert out["hour"] == 600_000, "at most every 10 minutes"
    assert out["minute"] == 30_000, "never more often than every 30 s"
    assert out["gone"] == 30_000
    assert out["none"] == 600_000
    assert (out["turn"], out["stunOnly"], out["noLogin"]) == (True, False, False)


async def test_a_booth_call_offers_first_while_it_rings_and_sends_only_that_offer_before_it_starts(page: Page) -> None:
    out = await run(
        page,
        "call.js",
        FAKE_SOCKET
        + """
        const video = () => document.body.appendChild(document.createElement("video"));
        const make = (polite, offersFirst) => new M.Call({ socket, consultationId: "c1", polite, offersFirst,
          iceServers: [], localVideo: video(), remoteVideo: video() });
        const booth = make(true, true), agent = make(false, false), home = make(true, undefined);
        await Promise.all([booth.prepare(), agent.prepare(), home.prepare()]);
        await new Promise((r) => setTimeout(r, 300)); // gathering (host candidates only here)
        const ringing = [booth.pc.signalingState, agent.pc.signalingState, home.pc.signalingState];
        const early = sent.map(([e, p]) => [e, p.description?.type ?? null]);
        const carried = await agent.takeEarlyOffer("c1");
        await booth.start(); // call.start without an answer: the console had no ringing offer
        const kind = ([e, p]) => [e, p.description?.type ?? (p.candidate ? "candidate" : null)];
        const started = sent.slice(early.length).map(kind);
        for (const c of [booth, agent, home]) c.close();
        return { ringing, early, carried, started };
        """,
        {"servers": []},
    )
    assert out["ringing"] == ["have-local-offer", "stable", "stable"], "the booth offered while ringing"
    assert out["early"] == [["ringing.offer", "offer"]], "only the booth's offer, to the ringing console"
    assert out["carried"] is None, "the console had no ringing offer to answer: its accept carries nothing"
    assert out["started"][0] == ["signal", "offer"], "no answer in call.start: the booth's offer leaves as a signal"


async def test_the_console_answers_the_ringing_offer_and_the_booth_sets_that_answer_with_call_start(
    page: Page,
) -> None:
    out = await run(
        page,
        "call.js",
        FAKE_SOCKET
        + """
        const video = () => document.body.appendChild(document.createElement("video"));
        const make = (polite, offersFirst) => new M.Call({ socket, consultationId: "c1", polite, offersFirst,
          iceServers: [], localVideo: video(), remoteVideo: video() });
        const booth = make(true, true), agent = make(false, false);
        await Promise.all([booth.prepare(), agent.prepare()]);
        const offered = () => sent.some(([e]) => e === "ringing.offer");
        for (let i = 0; i < 50 && !offered(); i++) await new Promise((r) => setTimeout(r, 20));
        const ringingOffer = sent.find(([e]) => e === "ringing.offer")?.[1];
        agent.answerWhileRinging(ringingOffer.description);
        await agent.ringingAnswerReady(5000);
        const beforeAccept = sent.length;
        const carried = await agent.takeEarlyOffer("c1");
        const again = await agent.takeEarlyOffer("c1");
        await agent.start();
        await booth.start({ answer: carried });
        await booth.signalChain;
        const kind = ([e, p]) => [e, p.description?.type ?? (p.candidate ? "candidate" : null)];
        const afterStart = sent.slice(beforeAccept).map(kind);
        const states = [booth.pc.signalingState, agent.pc.signalingState, booth.pc.remoteDescription?.type];
        for (const c of [booth, agent]) c.close();
        return { carried: carried && { type: carried.type, passive: /a=setup:passive/.test(carried.sdp) }, again,
                 afterStart, states, beforeAccept };
        """,
        {"servers": []},
    )
    assert out["carried"] == {"type": "answer", "passive": True}, "the accept carries the answer, as DTLS server"
    assert out["again"] is None, "carried once"
    assert out["beforeAccept"] == 1, "while ringing only the booth's offer was sent; the console's answer waited"
    assert ["signal", "offer"] not in out["afterStart"], "the booth set the answer: no offer after call.start"
    assert ["signal", "answer"] not in out["afterStart"]
    assert out["states"] == ["stable", "stable", "answer"]


async def test_a_carried_answer_that_does_not_fit_sends_the_booths_offer_after_all(page: Page) -> None:
    out = await run(
        page,
        "call.js",
        FAKE_SOCKET
        + """
        const video = () => document.body.appendChild(document.createElement("video"));
        const booth = new M.Call({ socket, consultationId: "c1", polite: true, offersFirst: true,
          iceServers: [], localVideo: video(), remoteVideo: video() });
        await booth.prepare();
        const before = sent.length;
        await booth.start({ answer: { type: "answer", sdp: "v=0\\r\\n" } });
        await booth.signalChain;
        const after = sent.slice(before).map(([e, p]) => [e, p.description?.type ?? null]);
        booth.close();
        return { after };
        """,
        {"servers": []},
    )
    assert ["signal", "offer"] in out["after"], "the old path: the offer goes as a signal"


async def test_a_call_starts_its_picture_at_640x360_and_the_video_step_lifts_it_only_when_told(page: Page) -> None:
    """A 1280x720 camera: the prepared call's video sender starts at half size (Chromium's encoder would
    drop a 1280x720 first frame at its start bitrate), the video step keeps that until the link showed it carries
    the full picture, and the lower steps scale from the camera's size as before."""
    out = await run(
        page,
        "call.js",
        FAKE_SOCKET
        + """
        const L = await import("/static/js/ladder.js");
        // this blank page is no secure context (no getUserMedia): a 1280x720 canvas and a tone stand in for the camera
        const canvas = Object.assign(document.createElement("canvas"), { width: 1280, height: 720 });
        canvas.getContext("2d").fillRect(0, 0, 10, 10);
        const tone = new AudioContext().createMediaStreamDestination().stream.getAudioTracks()[0];
        const stream = new MediaStream([canvas.captureStream(20).getVideoTracks()[0], tone]);
        Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: async () => stream } });
        const video = () => document.body.appendChild(document.createElement("video"));
        const call = new M.Call({ socket, consultationId: "c1", polite: true, offersFirst: true, iceServers: [],
          localVideo: video(), remoteVideo: video() });
        await call.prepare();
        const sender = call.pc.getSenders().find((s) => s.track?.kind === "video");
        const scale = () => sender.getParameters().encodings[0].scaleResolutionDownBy;
        const tracks = Object.fromEntries(call.localStream.getTracks().map((t) => [t.kind, t]));
        const camera = call.localStream.getVideoTracks()[0].getSettings();
        const started = scale();
        await L.applyStep(call.pc, "video", tracks, { fullPicture: false });
        const kept = scale();
        await L.applyStep(call.pc, "video", tracks, { fullPicture: true });
        const full = scale();
        await L.applyStep(call.pc, "low-video", tracks, { fullPicture: true });
        const low = scale();
        call.close();
        return { camera: [camera.width, camera.height], started, kept, full, low,
          scales: [L.startScale(1280, 720), L.startScale(720, 1280), L.startScale(640, 480), L.startScale(0, 0)],
          fits: [1_500_000, 1_499_999, null].map((aob) => L.fullPictureFits({ aob })) };
        """,
        {"servers": []},
    )
    assert out["camera"] == [1280, 720]
    assert (out["started"], out["kept"], out["full"], out["low"]) == (2, 2, 1, 4)
    assert out["scales"] == [2, 2, 4 / 3, 1], "the shorter side to 360 lines; a small camera is left alone"
    assert out["fits"] == [True, False, False]


async def test_the_console_names_the_chat_step_in_its_own_words_and_the_kiosk_in_the_residents(page: Page) -> None:
    out = await run(
        page,
        "linkwatch.js",
        """
        const make = (modeTexts) => {
          const el = () => document.body.appendChild(document.createElement("span"));
          const watch = new M.LinkWatch({ call: { pc: null }, stage: el(), modeElement: el(), qualityElement: el(),
            modeTexts });
          watch.receive("chat", false); // the other side's link fell to chat
          return [watch.modeElement.dataset.state, watch.modeElement.dataset.i18n];
        };
        return { console: make({ chat: "media.mode.chat_staff" }), kiosk: make(undefined) };
        """,
    )
    assert out["console"] == ["chat", "media.mode.chat_staff"]
    assert out["kiosk"] == ["chat", "media.mode.chat"]
