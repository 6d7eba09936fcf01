// The call screen of the kiosk and the console: the video stage (templates/_call.html), its notice, the mute
// and end-call buttons, and the one Call (call.js) behind them.
//
// Why one module: both pages start and stop a call the same way, buffer the signals that arrive before
// call.start is handled, show the same notices over the video (connecting, reconnecting, the other side's link
// lost, failed) and mute the same way; two copies drifted apart one fix at a time. What differs is small and
// passed in: which side is polite (the booth; the agent restarts and rebuilds) and which makes the first offer (a
// booth call's booth, call.js `offersFirst`), what the page does when a call starts
// (it adopts the consultation and fills its own texts), how it shows its call screen, which notice says "we are
// reconnecting", and the console's text-only consultations (a resident chatting from home: no media at all).
//
// Signals: every `signal` from the server comes in through signal() and every outgoing one leaves through
// Call.send() (call.js), so addressing signals to one participant of several (`to`, and `from` on the way in)
// is one edit on each side.

import { Call } from "./call.js";
import { SEND } from "./events.js";
import { firstKnownKey, t } from "./i18n.js";
import { LinkWatch } from "./linkwatch.js";
import { request } from "./net.js";

const MAX_EARLY_SIGNALS = 200;
const CONNECTING = "media.connecting";
// The accept waits at most this long for an answer to the booth's ringing offer that is still being made.
const RINGING_ANSWER_WAIT_MS = 1000;

export class CallScreen {
  /**
   * @param {object} options
   * @param {any} options.socket  the page's Socket.IO client socket
   * @param {boolean} options.polite  booth: true (answers); agent: false (offers)
   * @param {string} options.label  names the page in console messages
   * @param {import("./banner.js").Banner} options.banner  says when there is no camera or microphone
   * @param {string[]} options.reconnectingKeys  the notice shown while our own link is down (newest text first)
   * @param {() => void} options.show  switch the page to its call screen
   * @param {(message: object) => void} options.onStart  a new call: the page adopts its consultation
   * @param {string|null} [options.textOnlyNotice]  the notice for a call without media (call.start media: false)
   * @param {(() => RTCPeerConnection|null)|null} [options.takeWarm]  the kiosk's warm connection (warmpath.js),
   *   taken over by the next call it prepares or starts
   * @param {((message: object) => boolean)|null} [options.offersFirst]  whether this side makes a call's first
   *   offer, from its `offer` / `call.start` (default: the impolite side; a booth call's is the booth's, call.js)
   * @param {Record<string, string>} [options.modeTexts]  this page's own words for some ladder steps (linkwatch.js)
   */
  constructor({ socket, polite, label, banner, reconnectingKeys, show, onStart, textOnlyNotice = null, takeWarm = null, offersFirst = null, modeTexts = {}, peerLostKey = "media.peer_lost" }) {
    this.modeTexts = modeTexts;
    this.peerLostKey = peerLostKey; // the notice while the other side's link is down (the booth says more: ux16)
    this.socket = socket;
    this.polite = polite;
    this.label = label;
    this.banner = banner;
    this.reconnectingKeys = reconnectingKeys;
    this.show = show;
    this.onStart = onStart;
    this.textOnlyNotice = textOnlyNotice;
    this.takeWarm = takeWarm ?? (() => null);
    this.offersFirst = offersFirst ?? (() => !polite);
    this.call = null;
    this.textOnly = false; // the current consultation has no media (chat only)
    this.earlySignals = []; // signals that came before their call.start was handled
    this.ringingOffer = null; // console: a booth's ringing offer that came before its call was prepared
    this.notice = document.getElementById("call-notice");
    this.muteButton = document.getElementById("mute");
    this.endButton = document.getElementById("end-call");
    this.localVideo = document.getElementById("local-video");
    this.remoteVideo = document.getElementById("remote-video");
    this.stage = this.remoteVideo.closest(".video-stage");
    this.modeElement = document.getElementById("media-mode");
    this.qualityElement = document.getElementById("link-quality");
    this.watch = null; // the step-down ladder of the running call (linkwatch.js)
    this.forcedStep = null; // the step this side forces (console: force-audio-only) during this call
    this.remoteMuted = document.getElementById("remote-muted");
    this.muteButton.addEventListener("click", () => this.setMuted(!(this.call && this.call.muted)));
    // the console's only: one button per step the agent may force; pressing the pressed one goes back to video
    this.forceButtons = [...document.querySelectorAll("[data-force-step]")];
    for (const button of this.forceButtons) {
      const step = button.dataset.forceStep;
      button.addEventListener("click", () => this.force(this.forcedStep === step ? null : step));
    }
  }

  /** A call that is running (started, not hung up; a call only prepared while ringing is not live). */
  get live() {
    return Boolean(this.call && !this.call.closed && this.call.begun);
  }

  /**
   * `call.start` (or the call data in a state event after a reconnect). The same call again means our link came
   * back: its media starts over on a fresh connection (the agent offers, the booth answers).
   */
  start(message, { reconnected = false } = {}) {
    const call = this.call;
    const prepared = call && call.consultationId === message.consultation_id && !call.closed && !call.begun;
    if (call && !prepared && call.consultationId === message.consultation_id && !call.closed) {
      this.show();
      if (reconnected && call.resume({ own: true })) this.setNotice(CONNECTING);
      return;
    }
    if (!prepared) this.stop();
    this.textOnly = this.textOnlyNotice !== null && message.media === false;
    this.onStart(message);
    this.setMuted(false);
    this.show();
    if (this.textOnly) {
      this.setNotice(this.textOnlyNotice); // no camera on either side
      return;
    }
    this.setNotice(CONNECTING);
    this.call = prepared ? call : this.newCall(message);
    this.watch = new LinkWatch({
      call: this.call,
      stage: this.stage,
      modeElement: this.modeElement,
      qualityElement: this.qualityElement,
      connecting: Boolean(this.noticeKey),
      modeTexts: this.modeTexts,
    });
    this.watch.start();
    if (this.call.pc?.connectionState === "connected") this.setNotice(null); // a prepared call already flowing
    for (const signal of this.earlySignals.splice(0)) this.signal(signal);
    this.call.start({ premade: prepared ? null : this.takeWarm(), answer: message.answer ?? null }).catch((err) => {
      console.error(`${this.label}: call could not start`, err);
      this.setNotice("media.failed");
    });
  }

  /**
   * The call rings (the console's `offer`, the kiosk's `call.coming` with `ice_servers`): open the camera and
   * microphone and build the connection now, so that after the accept only the offer and answer are left.
   */
  prepare(message) {
    const id = message.consultation_id;
    if (!Array.isArray(message.ice_servers) || this.live) return;
    if (this.call && this.call.consultationId === id) return;
    this.stop();
    this.call = this.newCall(message);
    this.call.prepare({ premade: this.takeWarm() }).catch((err) => console.warn(`${this.label}: could not prepare the call`, err));
    const early = this.ringingOffer;
    this.ringingOffer = null;
    if (early?.consultation_id === id) this.call.answerWhileRinging(early.description);
  }

  /** Console: the booth's offer while the call rings (`ringing.offer`): the prepared call answers it now. */
  ringing(message) {
    const call = this.call;
    if (call && call.consultationId === message.consultation_id && !call.closed) {
      if (!call.begun) call.answerWhileRinging(message.description); // after the accept: the booth sends it again
    } else {
      this.ringingOffer = message; // the ringing (our `offer`) is still being handled
    }
  }

  /**
   * What the prepared call made while ringing, for the accept to carry (null: nothing yet; see call.js): our offer,
   * or our answer to the booth's ringing offer (waited for a moment if it is being made).
   */
  async takeEarlyOffer(consultationId) {
    const call = this.call;
    if (!call || call.consultationId !== consultationId || call.begun) return null;
    await call.ringingAnswerReady(RINGING_ANSWER_WAIT_MS);
    if (this.call !== call || call.begun) return null;
    return call.takeEarlyOffer();
  }

  /** The ringing stopped without an accept: close what prepare() opened (the camera goes off). */
  unprepare(consultationId) {
    const call = this.call;
    if (call && !call.begun && (!consultationId || call.consultationId === consultationId)) this.stop();
  }

  newCall(message) {
    return new Call({
      socket: this.socket,
      consultationId: message.consultation_id,
      polite: this.polite,
      offersFirst: this.offersFirst(message),
      iceServers: message.ice_servers,
      localVideo: this.localVideo,
      remoteVideo: this.remoteVideo,
      onMediaProblem: () => this.banner.show(t("media.unavailable")),
      onConnectionState: (connection) => {
        if (connection === "connected") {
          this.watch?.setDown(false);
          this.setNotice(null);
          this.watch?.connected();
          if (this.call?.muted) this.sendMediaState(true); // the other side may have reloaded and forgotten
        } else if (connection === "disconnected") this.mediaCut();
        else if (connection === "failed" && this.ownLinkDown()) this.mediaCut();
        // the socket is up: text still goes — unless the other side is gone (ux16: 「文字で やりとりを つづけて」 for
        // 25 s with nobody there); its notice says what is true and stays
        else if (connection === "failed" && this.noticeKey !== this.peerLostKey) this.setNotice("media.failed");
      },
    });
  }

  /** Hang up and leave nothing on the video elements. */
  stop() {
    if (this.watch) this.watch.stop();
    this.watch = null;
    this.force(null);
    for (const element of [this.modeElement, this.qualityElement]) if (element) element.hidden = true;
    delete this.stage.dataset.mode;
    delete this.stage.dataset.fullPicture;
    if (this.call) this.call.close();
    this.call = null;
    this.localVideo.srcObject = null;
    this.remoteVideo.srcObject = null;
    this.remoteMuted.hidden = true;
  }

  /** A relayed `signal`: to the running call, or kept until its call.start is handled. */
  signal(message) {
    if (message.media_state) {
      // Not WebRTC: the other side says it muted or unmuted its microphone.
      if (!this.call || this.call.consultationId === message.consultation_id) {
        this.remoteMuted.hidden = !message.media_state.muted;
      }
      return;
    }
    const ours = this.call && this.call.consultationId === message.consultation_id;
    if (ours && message.mode) this.watch?.receive(message.mode, message.forced);
    else if (ours) this.call.handleSignal(message);
    else if (this.earlySignals.length < MAX_EARLY_SIGNALS) this.earlySignals.push(message);
  }

  /** Keep only the buffered signals of this consultation (another one's would never be used). */
  keepSignalsOf(consultationId) {
    this.earlySignals = this.earlySignals.filter((s) => s.consultation_id === consultationId);
  }

  forgetSignals() {
    this.earlySignals = [];
  }

  /**
   * The notice over the video (an i18n key), or none. Every notice of a media call (connecting, reconnecting, the
   * other side lost, failed) means the media is not flowing now, so the link-quality pill stops saying 「よい」.
   */
  setNotice(key) {
    this.watch?.setConnecting(Boolean(key));
    const notice = this.notice;
    notice.hidden = !key;
    notice.textContent = key ? t(key) : "";
    if (key) notice.dataset.i18n = key;
    else delete notice.dataset.i18n;
  }

  get noticeKey() {
    return this.notice.dataset.i18n;
  }

  /** Our own link dropped: say so on the video, where the person is looking. */
  linkDown() {
    this.watch?.setDown(true);
    this.setNotice(firstKnownKey(...this.reconnectingKeys));
  }

  /** Whether this side cannot reach the server now (the socket is down, or the browser says it is offline): then
   * nothing can be sent, text included. */
  ownLinkDown() {
    return !this.socket.connected || navigator.onLine === false;
  }

  /**
   * ICE says the media link is cut (disconnected, or failed while our own link is down): the pill says 「切れています」
   * at once (ux15 item 1: it said 「よい」 for 3–6 s while the agent already saw the drop), and the booth says it is
   * reconnecting — never 「文字で やりとりを つづけてください」 when nothing, text included, can be sent. The other
   * side's loss (media.peer_lost) is said more exactly and stays; the console waits for that word from the server.
   */
  mediaCut() {
    this.watch?.setDown(true);
    const vague = !this.noticeKey || this.noticeKey === CONNECTING || this.noticeKey === "media.failed";
    if (this.polite && vague) this.setNotice(firstKnownKey(...this.reconnectingKeys));
  }

  /** Our own link is back: the reconnecting notice gives way (the media starts over by itself). */
  linkUp() {
    if (this.call?.pc?.connectionState === "connected") this.watch?.setDown(false);
    if (!this.reconnectingKeys.includes(this.noticeKey)) return;
    if (this.textOnly) this.setNotice(this.textOnlyNotice);
    else if (this.live) this.setNotice(CONNECTING);
  }

  /**
   * `peer.link` for our consultation: the other side's link dropped, or came back. When it is back the
   * impolite side offers on a fresh connection; the polite side waits for that offer and says "connecting"
   * until the media is connected again.
   */
  peerLink(connected) {
    if (!connected) this.setNotice(this.peerLostKey);
    else if (this.call?.resume({ own: false })) this.setNotice(CONNECTING);
    else this.setNotice(this.polite && this.call?.pc?.connectionState !== "connected" ? CONNECTING : null);
  }

  /**
   * Force the call down to `step` ("low-video", "audio" or "chat"), or release it (null); the other side is told.
   * The pressed button says how to go back (「映像に もどす」), the others what they do.
   */
  force(step) {
    this.forcedStep = step;
    this.watch?.force(step);
    for (const button of this.forceButtons) {
      const pressed = button.dataset.forceStep === step;
      button.setAttribute("aria-pressed", String(pressed));
      button.dataset.i18n = pressed ? "console.call.force_release" : button.dataset.forceLabel;
      button.textContent = t(button.dataset.i18n);
    }
  }

  /** The step the call runs at now (video when there is no call). */
  get mode() {
    return this.watch ? this.watch.agreed : "video";
  }

  /** Mute or unmute the microphone; the button says what pressing it will do. */
  setMuted(muted) {
    const isMuted = this.call ? this.call.setMuted(muted) : false;
    const button = this.muteButton;
    button.setAttribute("aria-pressed", String(isMuted));
    button.dataset.i18n = isMuted ? "media.unmute" : "media.mute";
    button.textContent = t(button.dataset.i18n);
    const notice = document.getElementById("self-muted"); // the kiosk's large "your microphone is off"
    if (notice) notice.hidden = !isMuted;
    if (this.live) this.sendMediaState(isMuted);
  }

  /** Tell the others in the call whether our microphone is muted (relayed by the server as a `signal`). */
  sendMediaState(muted) {
    const consultationId = this.call?.consultationId;
    if (!consultationId) return;
    request(this.socket, SEND.SIGNAL, { consultation_id: consultationId, media_state: { muted } }).catch((err) =>
      console.warn(`${this.label}: could not send the mute state`, err.code || err),
    );
  }

  /**
   * The end-call button: ask the server to end the consultation. Resolves null once it has, or the
   * RequestError when it did not (the page decides what that means for its screen).
   */
  async hangUp(consultationId) {
    this.endButton.disabled = true;
    try {
      await request(this.socket, SEND.CONSULTATION_END, { consultation_id: consultationId });
      return null;
    } catch (err) {
      return err;
    } finally {
      this.endButton.disabled = false;
    }
  }
}
