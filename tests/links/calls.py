"""Booth ↔ console calls in real Chromium for the link tests and ``bench/links``: place one, time it, read its stats.

The pages are the product's own kiosk and console, driven through their public ``data-testid`` contract. The
only thing added to them is an init script that keeps a reference to every RTCPeerConnection the page makes
(and, for relay-only runs, sets ``iceTransportPolicy: "relay"`` on it: the test forces traffic through TURN and
the impairment proxy; the product never does). From those references the harness reads ``getStats()``: the
selected candidate pair (relayed? over which protocol? its RTT), inbound audio concealment and video frame rate.

Times are wall-clock milliseconds (``Date.now()`` in the pages, ``time.time()`` here): both run on this machine.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.links import netns
from tests.support import LiveServer

WAIT_MS = 20_000
AGENT_PASSWORD = "links-agent-password-1"
ROUTE = "resident_records"

INSTRUMENT = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native || window.__links) return;
  const options = %s;
  const links = (window.__links = { pcs: [], connectedAt: [], createdAt: [], events: [] });
  // The call's setup steps in order, [name, Date.now()], for the bench's "where the time goes".
  const mark = (name) => { if (links.events.length < 400) links.events.push([name, Date.now()]); };
  const devices = navigator.mediaDevices;
  if (devices && devices.getUserMedia) {
    const gum = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) => {
      mark("getUserMedia");
      return gum(constraints).then((stream) => { mark("getUserMedia done"); return stream; });
    };
  }
  // With `trace`: the first packets and frames each way after connected, from getStats every 20 ms for 2 s
  // (costs the page some work: only for finding where the time goes, not for the timed runs).
  const trace = (pc) => {
    const seen = new Set();
    const began = Date.now();
    const timer = setInterval(async () => {
      if (Date.now() - began > 2000 || pc.connectionState === "closed") return clearInterval(timer);
      (await pc.getStats()).forEach((r) => {
        const firsts = {
          "outbound-rtp": [["packetsSent", "sent"], ["framesEncoded", "encoded"]],
          "inbound-rtp": [
            ["packetsReceived", "received"], ["framesDecoded", "decoded"], ["totalSamplesReceived", "played"],
          ],
        }[r.type] || [];
        for (const [key, word] of firsts) {
          const name = `${word} ${r.kind}`;
          if (r[key] > 0 && !seen.has(name)) { seen.add(name); mark(name); }
        }
      });
    }, 20);
  };
  const rewrite = (url) => options.rewrite.reduce((u, [from, to]) => u.split(from).join(to), url);
  const adjust = (config) => {
    const copy = { ...(config || {}) };
    if (options.relayOnly) copy.iceTransportPolicy = "relay";
    copy.iceServers = (copy.iceServers || []).map((server) => ({
      ...server,
      urls: [].concat(server.urls).map(rewrite),
    }));
    return copy;
  };
  window.RTCPeerConnection = class extends Native {
    constructor(config, ...rest) {
      super(adjust(config), ...rest);
      const index = links.pcs.push(this) - 1;
      links.createdAt[index] = Date.now();
      links.connectedAt[index] = null;
      mark("pc created");
      this.addEventListener("icecandidate", (e) => {
        if (e.candidate && e.candidate.candidate) mark("candidate " + (e.candidate.type || "?"));
      });
      this.addEventListener("iceconnectionstatechange", () => mark("ice " + this.iceConnectionState));
      this.addEventListener("track", (e) => mark("track " + e.track.kind));
      this.addEventListener("connectionstatechange", () => {
        mark("connection " + this.connectionState);
        if (options.trace && this.connectionState === "connected") trace(this);
        if (this.connectionState === "connected" && links.connectedAt[index] === null) {
          links.connectedAt[index] = Date.now();
        }
      });
    }
    setLocalDescription(...args) {
      mark("setLocalDescription");
      const done = (r) => { mark("local " + this.localDescription?.type); return r; };
      return super.setLocalDescription(...args).then(done);
    }
    setRemoteDescription(description, ...args) {
      mark("remote " + (description && description.type));
      return super.setRemoteDescription(description, ...args);
    }
  };
})();
"""

STATS = """
async () => {
  const links = window.__links;
  const pc = links && links.pcs.filter((p) => p.connectionState !== "closed").pop();
  if (!pc) return null;
  const reports = new Map();
  (await pc.getStats()).forEach((r) => reports.set(r.id, r));
  const out = { pc: links.pcs.indexOf(pc), state: pc.connectionState, pair: null, audio: null, video: null };
  for (const r of reports.values()) {
    if (r.type === "transport" && r.selectedCandidatePairId) {
      const pair = reports.get(r.selectedCandidatePairId);
      const local = pair && reports.get(pair.localCandidateId);
      const remote = pair && reports.get(pair.remoteCandidateId);
      if (pair && local && remote) {
        out.pair = {
          local: local.candidateType, relayProtocol: local.relayProtocol || null, protocol: local.protocol,
          remote: remote.candidateType, rtt: pair.currentRoundTripTime ?? null,
        };
      }
    }
    if (r.type === "inbound-rtp" && r.kind === "audio") {
      out.audio = { concealed: r.concealedSamples || 0, total: r.totalSamplesReceived || 0,
                    lost: r.packetsLost || 0, received: r.packetsReceived || 0, jitter: r.jitter ?? null };
    }
    if (r.type === "inbound-rtp" && r.kind === "video") {
      out.video = { fps: r.framesPerSecond ?? null, decoded: r.framesDecoded || 0,
                    width: r.frameWidth ?? null, height: r.frameHeight ?? null };
    }
  }
  return out;
}
"""

# Started in each page just before the agent's click: the first moments of remote video playing (checked every
# animation frame, as the in-page reference does) and of audio samples arriving (getStats every 20 ms), taken in
# the page itself, so that how long the harness takes to ask (Python round trips, slow under load) is not timed.
# The agent's page also notes its own click on 「応答」 (a capturing listener): the times run from there.
WATCH_MEDIA = """() => {
  const links = window.__links;
  if (links.media) return;
  const media = (links.media = { videoAt: null, audioAt: null, clickAt: null });
  document.addEventListener("click", (e) => {
    if (media.clickAt === null && e.target.closest?.('[data-testid="offer-accept"]')) media.clickAt = Date.now();
  }, true);
  const video = () => {
    const v = document.querySelector('[data-testid="remote-video"]');
    if (v && v.videoWidth > 0 && v.currentTime > 0) media.videoAt = Date.now();
    else requestAnimationFrame(video);
  };
  video();
  const audio = setInterval(async () => {
    const pc = links.pcs.filter((p) => p.connectionState !== "closed").pop();
    if (!pc) return;
    let samples = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") samples = r.totalSamplesReceived || 0;
    });
    if (samples > 0 && media.audioAt === null) {
      media.audioAt = Date.now();
      clearInterval(audio);
    }
  }, 20);
}"""
MEDIA_MOMENTS = """() => window.__links.media"""

# Two peers in one page, camera and microphone start included: what call setup costs with no network at all.
IN_PAGE_REFERENCE = """async () => {
  const start = performance.now();
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  b.ontrack = (e) => { video.srcObject = e.streams[0]; };
  stream.getTracks().forEach((t) => a.addTrack(t, stream));
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  await new Promise((resolve) => {
    const check = () => (video.videoWidth > 0 && video.currentTime > 0 ? resolve() : requestAnimationFrame(check));
    check();
  });
  const ms = performance.now() - start;
  a.close(); b.close(); stream.getTracks().forEach((t) => t.stop()); video.remove();
  return ms;
}"""


@dataclass
class CallTimes:
    """One call, in ms from the agent's click on accept."""

    accepted_at: float = 0.0
    """The click (as the agent's page saw it), wall clock ms."""
    accept_to_media_ms: float | None = None
    """Until remote video plays on both sides (the later of the two)."""
    accept_to_audio_ms: float | None = None
    """Until audio samples arrive on both sides."""
    connect_ms: dict[str, float | None] = field(default_factory=dict)
    """Until each side's RTCPeerConnection is ``connected``."""
    timeline: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    """Each side's setup steps in order: (step, ms from the accept click), the first of each name; the steps taken
    between the resident's request and the click are named ``ringing <step>`` (negative ms)."""


async def launch(
    playwright: Playwright,
    *,
    executable: Path | str = CHROMIUM,
    origins: tuple[str, ...] = (),
    trusted_keys: tuple[str, ...] = (),
) -> Browser:
    """Chromium with the browser tests' flags; ``origins`` are plain-http server URLs treated as secure (a server
    on a veth address is not ``localhost``, and getUserMedia needs a secure context). ``trusted_keys`` are the
    SPKI hashes (:func:`tests.links.coturn.spki_hash`) of test certificates this browser trusts, e.g. coturn's for
    ``turns:``: Chromium checks a TURN server's certificate as it checks a web site's."""
    args = list(CHROMIUM_ARGS)
    if origins:
        args.append("--unsafely-treat-insecure-origin-as-secure=" + ",".join(origins))
    if trusted_keys:
        args.append("--ignore-certificate-errors-spki-list=" + ",".join(trusted_keys))
    return await playwright.chromium.launch(executable_path=str(executable), args=args, headless=True)


@dataclass(frozen=True)
class PageNetwork:
    """How a test page's RTCPeerConnections are bent: relay-only, and TURN URL rewrites (``from`` → ``to``),
    e.g. the console reaching coturn directly while the booth goes through the impairment proxy."""

    relay_only: bool = False
    rewrite: tuple[tuple[str, str], ...] = ()
    trace: bool = False
    """Record the first packets and frames each way after connected (getStats every 20 ms for 2 s)."""


PAGE_LOG_LINES = 200


def _keep(log: list[str], line: str) -> None:
    if len(log) < PAGE_LOG_LINES:
        log.append(f"{time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d} {line}")


def _watch(page: Page) -> list[str]:
    """Everything a failure needs to be read afterwards, in order, time-stamped: the page's console messages and
    errors, requests that failed or came back 4xx/5xx, and its WebSockets (opened, closed, errors, frame counts)."""
    log: list[str] = []
    page.on("console", lambda m: _keep(log, f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: _keep(log, f"pageerror: {e}"))
    page.on("requestfailed", lambda r: _keep(log, f"request failed: {r.method} {r.url} {r.failure}"))
    page.on("response", lambda r: _keep(log, f"response {r.status}: {r.url}") if r.status >= 400 else None)

    def websocket(ws: Any) -> None:
        frames = {"sent": 0, "received": 0}
        _keep(log, f"websocket opening: {ws.url}")

        def frame(way: str) -> None:
            frames[way] += 1
            if frames[way] <= 3:
                _keep(log, f"websocket frame {way} #{frames[way]}: {ws.url}")

        ws.on("framesent", lambda _: frame("sent"))
        ws.on("framereceived", lambda _: frame("received"))
        ws.on("socketerror", lambda e: _keep(log, f"websocket error: {e}"))
        ws.on("close", lambda _: _keep(log, f"websocket closed after {frames}: {ws.url}"))

    page.on("websocket", websocket)
    return log


PAGE_LOGS: dict[Page, list[str]] = {}


async def open_page(browser: Browser, network: PageNetwork = PageNetwork()) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    options = {
        "relayOnly": network.relay_only,
        "rewrite": [list(pair) for pair in network.rewrite],
        "trace": network.trace,
    }
    await context.add_init_script(INSTRUMENT % json.dumps(options))
    page = await context.new_page()
    PAGE_LOGS[page] = _watch(page)

    def forget(_: BrowserContext) -> None:
        PAGE_LOGS.pop(page, None)

    context.on("close", forget)
    return page


CONNECTION = """() => {
  const e = document.querySelector('[data-testid="connection-status"]');
  return e ? { state: e.dataset.state, check: e.dataset.check, text: e.textContent.trim() } : null;
}"""


async def kiosk_ready(booth: Page, timeout_ms: float = WAIT_MS) -> None:
    """Wait for the kiosk's 「相談をはじめる」 to be enabled (its /booth socket connected); if it is not, fail with
    what the page said meanwhile and where its connection stands."""
    began = time.monotonic()
    try:
        await expect(booth.get_by_test_id("start-consultation")).to_be_enabled(timeout=timeout_ms)
    except AssertionError as exc:
        try:
            connection = await booth.evaluate(CONNECTION)
        except Exception as inner:  # the page itself may be what is broken
            connection = f"unreadable: {inner}"
        lines = "\n".join(PAGE_LOGS.get(booth, [])) or "(nothing)"
        networks = "".join(f"\n{network.describe()}" for network in netns.OPEN)
        raise AssertionError(
            f"the kiosk's start button stayed disabled for {time.monotonic() - began:.1f} s; "
            f"connection-status: {connection}\nthe booth page meanwhile:\n{lines}{networks}"
        ) from exc


@asynccontextmanager
async def call_pages(
    server: LiveServer,
    booth_browser: Browser,
    agent_browser: Browser,
    *,
    booth_network: PageNetwork = PageNetwork(),
    agent_network: PageNetwork = PageNetwork(),
    base_url: str | None = None,
) -> AsyncIterator[tuple[Page, Page]]:
    """A kiosk with its start button ready and a console logged in and available, both on ``base_url``."""
    url = base_url or server.base_url
    _, _, kiosk_path = await server.add_booth("島の郵便局ブース")
    await server.add_agent("links-agent", AGENT_PASSWORD)
    booth = await open_page(booth_browser, booth_network)
    agent = await open_page(agent_browser, agent_network)
    try:
        await booth.goto(url + kiosk_path)
        await kiosk_ready(booth)
        await agent.goto(f"{url}/login")
        await agent.get_by_test_id("login-username").fill("links-agent")
        await agent.get_by_test_id("login-password").fill(AGENT_PASSWORD)
        await agent.get_by_test_id("login-submit").click()
        await agent.wait_for_url("**/console", timeout=WAIT_MS)
        await agent.get_by_test_id("status-available").click()
        yield booth, agent
    finally:
        await booth.context.close()
        await agent.context.close()


async def _media_moments(page: Page, timeout_ms: float) -> dict[str, Any]:
    """The page's media watch (WATCH_MEDIA) once it saw both video and audio, or as it stands at the timeout."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        moments: dict[str, Any] = await page.evaluate(MEDIA_MOMENTS)
        if (moments["videoAt"] is not None and moments["audioAt"] is not None) or time.monotonic() > deadline:
            return moments
        await asyncio.sleep(0.05)


FULL_PICTURE = """(lines) => {  // a time once the remote video is at least `lines` tall, else false
  const v = document.querySelector('[data-testid="remote-video"]');
  return v && v.currentTime > 0 && Math.min(v.videoWidth, v.videoHeight) >= lines ? Date.now() : false;
}"""


async def full_picture_ms(pages: dict[str, Page], since_ms: float, within_s: float, lines: int = 720) -> dict[str, Any]:
    """Per page, ms from ``since_ms`` (wall clock) until its remote video is ``lines`` tall (the fake camera's full
    1280x720), or None if not within ``within_s`` of ``since_ms``."""
    left_ms = max(1.0, since_ms + within_s * 1000 - time.time() * 1000)

    async def one(page: Page) -> float | None:
        try:
            handle = await page.wait_for_function(FULL_PICTURE, arg=lines, timeout=left_ms, polling=50)
        except PlaywrightTimeoutError:
            return None
        return round(float(await handle.json_value()) - since_ms, 1)

    values = await asyncio.gather(*(one(page) for page in pages.values()))
    return dict(zip(pages, values, strict=True))


def _latest(moments: list[float | None], since: float) -> float | None:
    if any(moment is None for moment in moments):
        return None
    return round(max(m for m in moments if m is not None) - since, 1)


RING_S = 1.0
"""How long the offer rings before the agent's click: a person needs about a second to see it and press
「応答」 (the pages prepare the call meanwhile, as they would for a person)."""


async def place_call(booth: Page, agent: Page, *, timeout_ms: float = WAIT_MS, ring_s: float = RING_S) -> CallTimes:
    """Resident asks, the offer rings ``ring_s``, the agent accepts; wait (up to ``timeout_ms``) for video and audio
    both ways and time them from the accept click. A time is None when that media did not arrive on both sides in
    time."""
    await booth.get_by_test_id("start-consultation").click()
    asked_at = time.time() * 1000
    await booth.get_by_test_id(f"route-{ROUTE}").click()
    accept = agent.get_by_test_id("offer-accept")
    await expect(accept).to_be_visible(timeout=timeout_ms)
    await asyncio.sleep(ring_s)
    for page in (booth, agent):
        await page.evaluate(WATCH_MEDIA)
    clicked_here = time.time() * 1000
    await accept.click()
    seen = await asyncio.gather(*(_media_moments(p, timeout_ms) for p in (booth, agent)))
    video = [side["videoAt"] for side in seen]
    audio = [side["audioAt"] for side in seen]
    accepted_at = float(seen[1]["clickAt"] or clicked_here)  # the page's own click; the harness's if it saw none
    times = CallTimes(
        accepted_at=accepted_at,
        accept_to_media_ms=_latest(video, accepted_at),
        accept_to_audio_ms=_latest(audio, accepted_at),
    )
    for side, page in (("booth", booth), ("agent", agent)):
        connected = await page.evaluate("() => window.__links.connectedAt.filter((t) => t !== null).pop() ?? null")
        times.connect_ms[side] = None if connected is None else round(float(connected) - accepted_at, 1)
        events = await page.evaluate("() => window.__links.events")
        seen: dict[str, float] = {}
        for name, moment in events:
            # before the click (while the resident waited and the call rang): "ringing <step>", negative ms
            key = name if moment >= accepted_at else f"ringing {name}"
            if moment >= asked_at and key not in seen:
                seen[key] = round(float(moment) - accepted_at, 1)
        times.timeline[side] = list(seen.items())
    for index, side in enumerate(("booth", "agent")):  # when this side's remote media arrived (what is timed above)
        for name, moment in (("remote video playing", video[index]), ("remote audio samples", audio[index])):
            if moment is not None:
                times.timeline[side].append((name, round(moment - accepted_at, 1)))
    return times


async def stats(page: Page) -> dict[str, Any]:
    """The page's current call (its newest open RTCPeerConnection); ``{}`` when it has none."""
    result = await page.evaluate(STATS)
    return result if isinstance(result, dict) else {}


@dataclass
class Window:
    """What happened between two stats readings of one page."""

    seconds: float
    concealment: float | None
    video_fps: float | None
    audio_packets_lost: int
    rtt_s: float | None
    pair: dict[str, Any] | None
    video_size: str | None = None
    """The inbound video's resolution at the end of the window (``640x480``)."""


async def measure(page: Page, seconds: float) -> Window:
    """Read stats, wait ``seconds``, read again: concealment = concealed / received samples in between."""
    before = await stats(page)
    began = time.monotonic()
    await asyncio.sleep(seconds)
    after = await stats(page)
    elapsed = time.monotonic() - began
    if before.get("pc") != after.get("pc"):
        before = {}  # the connection was rebuilt meanwhile: only the new one's own totals can be read
    concealment = None
    lost = 0
    if before.get("audio") and after.get("audio"):
        total = after["audio"]["total"] - before["audio"]["total"]
        concealed = after["audio"]["concealed"] - before["audio"]["concealed"]
        concealment = round(concealed / total, 4) if total > 0 else 1.0
        lost = after["audio"]["lost"] - before["audio"]["lost"]
    fps = None
    if before.get("video") and after.get("video"):
        fps = round((after["video"]["decoded"] - before["video"]["decoded"]) / elapsed, 1)
    elif after.get("video"):
        # no inbound video when the window opened (on a lossy link the first key frame can take a while):
        # every frame decoded so far arrived inside the window
        fps = round(after["video"]["decoded"] / elapsed, 1)
    pair = after.get("pair")
    if concealment is None and after.get("audio") and after["audio"]["total"] > 0:
        concealment = round(after["audio"]["concealed"] / after["audio"]["total"], 4)  # the call began meanwhile
    return Window(
        seconds=round(elapsed, 1),
        concealment=concealment,
        video_fps=fps,
        audio_packets_lost=lost,
        rtt_s=pair.get("rtt") if pair else None,
        pair=pair,
        video_size=f"{video['width']}x{video['height']}" if (video := after.get("video")) and video["width"] else None,
    )


async def in_page_reference(page: Page) -> float:
    """The two-peers-in-one-page setup time (ms) in ``page``'s browser, camera start included."""
    return round(float(await page.evaluate(IN_PAGE_REFERENCE)), 1)


PLAYHEAD = """() => {
  const v = document.querySelector('[data-testid="remote-video"]');
  return v && v.srcObject ? [v.currentTime, v.getVideoPlaybackQuality().totalVideoFrames] : null;
}"""


async def watch_video(pages: dict[str, Page], seconds: float, poll_s: float = 0.1) -> dict[str, dict[str, Any]]:
    """Watch each page's remote video for ``seconds``: when it first advanced (three polls in a row), and how long
    it stood still again after that (stalls of more than two polls), e.g. while a connection is rebuilt."""
    began = time.monotonic()
    last: dict[str, Any] = dict.fromkeys(pages)
    streak = dict.fromkeys(pages, 0)
    still_since: dict[str, float | None] = dict.fromkeys(pages)
    report: dict[str, dict[str, Any]] = {side: {"back_s": None, "stalled_after_s": 0.0} for side in pages}
    while time.monotonic() - began < seconds:
        for side, page in pages.items():
            now = await page.evaluate(PLAYHEAD)
            moving = now is not None and last[side] is not None and now[0] > last[side][0] and now[1] > last[side][1]
            last[side] = now
            streak[side] = streak[side] + 1 if moving else 0
            moment = time.monotonic() - began
            if report[side]["back_s"] is None:
                if streak[side] >= 3:
                    report[side]["back_s"] = round(moment - 2 * poll_s, 2)
                continue
            if moving:
                since = still_since[side]
                if since is not None and moment - since > 2 * poll_s:
                    report[side]["stalled_after_s"] = round(report[side]["stalled_after_s"] + moment - since, 2)
                still_since[side] = None
            elif still_since[side] is None:
                still_since[side] = moment
        await asyncio.sleep(poll_s)
    for side in pages:
        since = still_since[side]
        if report[side]["back_s"] is not None and since is not None:
            report[side]["stalled_after_s"] = round(report[side]["stalled_after_s"] + seconds - since, 2)
    return report


VIDEO_CLOCK = """(everyMs) => {  // samples the remote video in the page itself: [Date.now(), currentTime, frames]
  if (window.__videoClock) return;
  const samples = (window.__videoClock = []);
  setInterval(() => {
    const v = document.querySelector('[data-testid="remote-video"]');
    const on = v && v.srcObject;
    samples.push([Date.now(), on ? v.currentTime : null, on ? v.getVideoPlaybackQuality().totalVideoFrames : null]);
    if (samples.length > 4000) samples.splice(0, 2000);
  }, everyMs);
}"""

VIDEO_BACK = """([since, spanMs]) => {
  // ms from `since` to the first sample from which the video kept advancing for `spanMs`: at each sample, both
  // currentTime and the frame count grew over the last `spanMs` (so 5 fps after a step down still counts)
  const all = window.__videoClock || [];
  let first = null, j = 0;
  for (let i = 1; i < all.length; i++) {
    const [at, time, frames] = all[i];
    while (j < i - 1 && all[j + 1][0] <= at - spanMs) j++;
    const [, lastTime, lastFrames] = all[j];
    if (at < since) continue;
    const moving = time !== null && lastTime !== null && time > lastTime && frames > lastFrames;
    if (!moving) first = null;
    else if (first === null) first = at;
    else if (at - first >= spanMs) return first - since;
  }
  return null;
}"""


async def start_video_clock(pages: dict[str, Page], every_ms: int = 50) -> None:
    """Each page samples its remote video itself every ``every_ms`` (page clock), for :func:`wait_video_again`."""
    for page in pages.values():
        await page.evaluate(VIDEO_CLOCK, every_ms)


async def wait_video_again(pages: dict[str, Page], *, since_ms: float, within_s: float) -> dict[str, float | None]:
    """Seconds from ``since_ms`` (wall clock, ms) until each page's remote video advanced again and kept advancing for
    0.2 s (the page's own samples, :func:`start_video_clock`), or None if not within ``within_s`` of ``since_ms``.
    The time is the page's own first advancing sample, so how long the harness takes to ask (pages polled one after
    another from here, slow under load) is not part of it."""
    back: dict[str, float | None] = dict.fromkeys(pages)
    while None in back.values():
        for side, page in pages.items():
            if back[side] is None and (ms := await page.evaluate(VIDEO_BACK, [since_ms, 200])) is not None:
                back[side] = round(float(ms) / 1000, 2)
        if time.time() * 1000 - since_ms > within_s * 1000:
            break
        await asyncio.sleep(0.2)
    return {side: None if s is None or s > within_s else s for side, s in back.items()}


MODES = """() => ['media-mode', 'link-quality'].map((id) => {
  const e = document.querySelector(`[data-testid="${id}"]`);
  return e && !e.hidden ? e.dataset.state : null;
})"""
REASON = """() => document.querySelector('[data-testid="media-mode"]')?.dataset.reason ?? null"""


async def modes(page: Page) -> tuple[str | None, str | None]:
    """What the page shows now: its ``media-mode`` and ``link-quality`` states (None while hidden)."""
    mode, quality = await page.evaluate(MODES)
    return mode, quality


async def wait_mode(pages: dict[str, Page], wanted: set[str], within_s: float, poll_s: float = 0.25) -> float | None:
    """Seconds until every page's ``media-mode`` is one of ``wanted`` at the same time, or None if not within."""
    began = time.monotonic()
    while time.monotonic() - began < within_s:
        shown = [(await modes(page))[0] for page in pages.values()]
        if all(mode in wanted for mode in shown):
            return round(time.monotonic() - began, 1)
        await asyncio.sleep(poll_s)
    return None


async def time_in_modes(page: Page, seconds: float, poll_s: float = 0.25) -> dict[str, Any]:
    """Watch a page's ``media-mode`` for ``seconds``: seconds shown in each step, the steps in order, and why this
    side's own proposal last moved before each change (``data-reason``: the limits crossed, or ``up``)."""
    began = time.monotonic()
    spent: dict[str, float] = {}
    path: list[str] = []
    reasons: list[str | None] = []
    last = began
    while (now := time.monotonic()) - began < seconds:
        mode = (await modes(page))[0] or "none"
        spent[mode] = spent.get(mode, 0.0) + (now - last)
        if not path or path[-1] != mode:
            path.append(mode)
            reasons.append(await page.evaluate(REASON))
        last = now
        await asyncio.sleep(poll_s)
    return {"seconds": {k: round(v, 1) for k, v in spent.items()}, "path": path, "reasons": reasons}
