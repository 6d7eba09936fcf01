// One WebRTC call between a booth (polite) and an agent (impolite), signalled through the Socket.IO "signal"
// event. The call screen (callscreen.js) runs one for the kiosk and the console.
//
// Why perfect negotiation: either side may (re)negotiate at any time (both add tracks at once when the call
// starts, a document camera is added later, ICE restarts after a network change); the polite side yields on
// a collision, the impolite side ignores the colliding offer. See
// https://w3c.github.io/webrtc-pc/#perfect-negotiation-example.
// Peers that do not trickle (aiortc) send a complete SDP with candidates inside: nothing special is needed
// beyond never assuming candidates will arrive. Candidates that arrive before their description are held.

import { SEND } from "./events.js";
import { request } from "./net.js";
import { startSmall } from "./ladder.js";
import { asDtlsServer, withPacketTime } from "./sdp.js";

const MEDIA_TIMEOUT_MS = 10000;
// At call start both sides add tracks at once. Letting both offer ("glare") is legal under perfect negotiation,
// but Chromium sometimes gathers no ICE candidates after the polite side's implicit rollback, and the call
// stays silent. So one side leaves the first offer to the other (`offersFirst`) and only offers itself if none
// arrives within this time (e.g. a peer that waits to be called).
const POLITE_FIRST_OFFER_WAIT_MS = 1500;
// A connection that has both descriptions but is still not connected after this long gets an ICE restart
// from the impolite side (one side only, so the restart offers do not collide).
const CONNECT_WATCHDOG_MS = 8000;
const MAX_ICE_RESTARTS = 2;
const MAX_EARLY_SIGNALS = 200;
// After a link came back the impolite side needs a round trip through the server (peer.link) before it offers;
// the polite side gives it longer than at call start before offering itself.
const POLITE_RESUME_OFFER_WAIT_MS = 3000;
// An offer that got no answer (sent while the other side's link was down, so nobody received it) is made
// again on a fresh connection after this long, a bounded number of times.
const ANSWER_WAIT_MS = 5000;
const MAX_UNANSWERED_OFFERS = 6;
// The booth's offer made while the console rings goes to that console once it names a relay candidate (the one
// the console's TURN must let through) or its gathering is complete, or after this long with what it has.
const RINGING_OFFER_GATHER_MS = 1500;

/** Resolves once `pc`'s offer names a relay candidate or its gathering is complete, or after `ms`. */
function gatheredEnough(pc, ms) {
  const enough = () => pc.iceGatheringState === "complete" || / typ relay /.test(pc.localDescription?.sdp ?? "");
  if (enough()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icecandidate", check);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => enough() && done();
    const timer = setTimeout(done, ms);
    pc.addEventListener("icecandidate", check);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/**
 * A step of the call's negotiation, at debug level: the browser tests keep every page's console lines and print them
 * when a test fails (tests/browser/chromium.py), so a race seen once in CI can be read from that run.
 */
function trace(...what) {
  console.debug("call:", ...what);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function openLocalMedia() {
  if (!navigator.mediaDevices?.getUserMedia) return null;
  const attempts = [
    { video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: { echoCancellation: true, noiseSuppression: true } },
    { audio: true },
  ];
  for (const constraints of attempts) {
    try {
      return await withTimeout(navigator.mediaDevices.getUserMedia(constraints), MEDIA_TIMEOUT_MS, "getUserMedia");
    } catch (err) {
      console.warn("call: getUserMedia failed", constraints, err);
    }
  }
  return null;
}

export class Call {
  /**
   * @param {object} options
   * @param {import("/static/vendor/socket.io.esm.min.js").Socket} options.socket
   * @param {string} options.consultationId
   * @param {boolean} options.polite  booth and resident: true; agent: false
   * @param {boolean} [options.offersFirst]  who makes the call's first offer (default: the impolite side). A booth
   *   call's first offer is the booth's: Chromium uses a candidate pool only for an offer (an answer gathers
   *   afresh), and the booth's TURN allocation is the slow one on an island. Rebuilt connections go back to the
   *   default (the impolite side offers).
   * @param {RTCIceServer[]} options.iceServers  from call.start (never a public default)
   * @param {HTMLVideoElement} options.localVideo
   * @param {HTMLVideoElement} options.remoteVideo
   * @param {(problem: "no_local_media") => void} [options.onMediaProblem]
   * @param {(state: RTCPeerConnectionState) => void} [options.onConnectionState]
   */
  constructor({ socket, consultationId, polite, offersFirst, iceServers, localVideo, remoteVideo, onMediaProblem, onConnectionState }) {
    this.socket = socket;
    this.consultationId = consultationId;
    this.polite = polite;
    this.offersFirst = offersFirst ?? !polite;
    this.iceServers = Array.isArray(iceServers) ? iceServers : [];
    this.localVideo = localVideo;
    this.remoteVideo = remoteVideo;
    this.onMediaProblem = onMediaProblem || (() => {});
    this.onConnectionState = onConnectionState || (() => {});

    this.pc = null;
    this.localStream = null;
    this.remoteStream = null;
    this.closed = false;
    this.muted = false;

    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;

    this.remoteDescribed = false; // a remote description has been applied at least once
    this.firstOfferTimer = null;
    this.politeWaitMs = POLITE_FIRST_OFFER_WAIT_MS;
    this.answerTimer = null;
    this.unansweredOffers = 0;
    this.offerSocketId = null; // the socket connection on which the last remote offer was applied
    this.resumes = 0;
    this.watchdog = null;
    this.iceRestarts = 0;
    this.earlySignals = []; // signals that came before start() built the connection
    this.held = false; // prepared while the call rings: nothing is offered or answered until start()
    this.negotiationPending = false; // negotiationneeded fired while held
    this.preparing = null; // prepare()'s promise
    this.begun = false; // start() was called: the call is on, not just prepared
    this.audioPacketMs = null; // the voice packet time we ask the other side for (null: its default, 20 ms)
    this.sentPacketMs = null; // the packet time named in the last description we sent
    this.heldCandidates = []; // candidates that came before a remote description
    this.earlyOfferSent = false; // the accept carried it: start() does not offer again
    this.ringingAnswer = null; // console: the promise of its answer to the booth's ringing offer
    this.answeredWhileRinging = false; // console: that answer is our local description
    this.heldLocalCandidates = []; // our candidates found while held (the server relays nothing before the accept)
    this.signalChain = Promise.resolve(); // signals are applied one at a time, in arrival order
    this.scaling = Promise.resolve(); // the start scale being put on the current connection's video sender
  }

  /**
   * While the call still rings: open the camera and microphone and build the connection with a candidate pool
   * (TURN allocated before the accept), but offer and answer nothing until start(). On an island every step done
   * here is a round trip less after the accept. `premade`: a connection whose pool was made earlier (the kiosk's
   * warm path while the resident waited, warmpath.js): its TURN allocation is ready already.
   */
  prepare({ premade = null } = {}) {
    if (!this.preparing) {
      this.held = true;
      this.preparing = this.openAndBuild({ pool: true, premade }).then(() => this.makeEarlyOffer());
    }
    return this.preparing;
  }

  /**
   * The side that offers first makes its offer while the call still rings. A booth's goes to the ringing console at
   * once (`ringing.offer`), which answers while it rings; its answer comes back inside the booth's `call.start`. The console's (a call from home) rides
   * on the accept (`offer.accept` `description`, relayed right after `call.start`): the other side has the offer a
   * whole hop sooner than when the console offered after `call.start`. The booth's leaves the moment `call.start`
   * reaches it, with the relay candidate its pool allocated while the call rang (or the resident waited).
   */
  async makeEarlyOffer() {
    const pc = this.pc;
    if (!this.offersFirst || !pc || this.closed || !this.held || pc.signalingState !== "stable") return;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
    } catch (err) {
      console.warn("call: no offer while ringing", err);
      return;
    } finally {
      this.makingOffer = false;
    }
    if (pc === this.pc && !this.closed) this.negotiationPending = false;
    if (this.polite && pc === this.pc) this.sendRingingOffer(pc);
  }

  /**
   * Booth: the offer made while ringing, with its candidates, to the console that rings (the server refuses it once
   * the case no longer rings; then start() sends the offer after call.start, as without this).
   */
  async sendRingingOffer(pc) {
    await gatheredEnough(pc, RINGING_OFFER_GATHER_MS);
    if (pc !== this.pc || this.closed || !this.held || pc.signalingState !== "have-local-offer") return;
    const { type, sdp } = pc.localDescription;
    try {
      const description = { type, sdp: withPacketTime(sdp, this.audioPacketMs) };
      await request(this.socket, SEND.RINGING_OFFER, { consultation_id: this.consultationId, description });
      trace("ringing offer sent");
    } catch (err) {
      console.warn("call: ringing offer not taken", err.code || err);
    }
  }

  /**
   * Console: the booth's offer while the call rings (`ringing.offer`). Answer it now (as the DTLS server), so the
   * accept carries the answer and the booth sets it with `call.start`: no offer/answer round trip after the accept.
   * Nothing flows before the accept: the booth has no answer, and it is the DTLS client.
   */
  answerWhileRinging(description) {
    trace("ringing offer came", { begun: this.begun, closed: this.closed });
    if (this.begun || this.closed) return;
    // On the signal chain, like every description: an accept that left without this answer (not made within
    // RINGING_ANSWER_WAIT_MS on a slow machine) brings a booth whose call.start has no answer, so it sends its offer
    // again as a signal. Applied while this answer is still being made, that offer would find have-remote-offer, a
    // collision the console (impolite) ignores, and this answer is never sent: nobody answers the booth and the call
    // stays 「つないでいます」. Queued behind it, the offer finds a stable connection and is answered (CI, session 13).
    this.signalChain = this.signalChain
      .then(() => this.answerHeldOffer(description))
      .catch((err) => console.warn("call: could not answer while ringing", err));
    this.ringingAnswer = this.signalChain;
  }

  async answerHeldOffer(description) {
    await this.preparing;
    if (this.begun || this.closed || !this.held || !this.pc) return;
    // a booth that rang again sends a new offer (a new connection of its own): answer it on a fresh one
    if (this.pc.remoteDescription) this.buildConnection({ premade: this.newPeerConnection() });
    const pc = this.pc;
    await pc.setRemoteDescription(description);
    this.remoteDescribed = true;
    this.setVideoDirection(pc);
    await pc.setLocalDescription(await this.serverAnswer(pc));
    if (pc !== this.pc) return;
    this.negotiationPending = false; // the answer covers our tracks
    this.answeredWhileRinging = true;
    trace("ringing offer answered", { begun: this.begun });
  }

  /** Console: the answer being made while ringing, given at most `ms` to finish (the click waits for no more). */
  async ringingAnswerReady(ms) {
    if (!this.ringingAnswer) return;
    let timer;
    await Promise.race([this.ringingAnswer, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /**
   * The offer made while ringing, or the answer to the booth's ringing offer, with every candidate found so far, for
   * the accept to carry (once); null when there is none yet (the accept then goes without, and the offer is sent
   * as a signal after call.start).
   */
  takeEarlyOffer() {
    const pc = this.pc;
    if (!pc || this.closed || !this.held || this.earlyOfferSent || !pc.localDescription) return null;
    const ours = this.offersFirst ? pc.signalingState === "have-local-offer" : this.answeredWhileRinging;
    if (!ours || (!this.offersFirst && pc.signalingState !== "stable")) return null;
    this.earlyOfferSent = true;
    this.sentPacketMs = this.audioPacketMs;
    const { type, sdp } = pc.localDescription;
    trace(`the accept carries our ${type}`);
    return { type, sdp: withPacketTime(sdp, this.audioPacketMs) };
  }

  /**
   * Open the camera and microphone (or go receive-only) and build the peer connection; go. `answer` (booth): the
   * console's answer to our ringing offer, from call.start: set at once instead of sending the offer.
   */
  async start({ premade = null, answer = null } = {}) {
    this.begun = true;
    if (!this.preparing) this.preparing = this.openAndBuild({ pool: true, premade }); // not prepared: overlap what we can
    await this.preparing;
    if (this.closed || !this.pc) return;
    this.held = false;
    const pc = this.pc;
    trace("start", {
      answer: Boolean(answer),
      state: pc.signalingState,
      earlyOfferSent: this.earlyOfferSent,
      answeredWhileRinging: this.answeredWhileRinging,
      negotiationPending: this.negotiationPending,
      earlySignals: this.earlySignals.length,
    });
    if (answer && pc.signalingState === "have-local-offer") {
      this.negotiationPending = false;
      this.takeCarriedAnswer(pc, answer); // before the signals that came with or after call.start
    } else if (this.earlyOfferSent && this.answeredWhileRinging) {
      this.negotiationPending = false;
      this.armWatchdog(pc); // the accept carried our answer to the booth's ringing offer
    } else if (this.earlyOfferSent && pc.signalingState === "have-local-offer") {
      this.negotiationPending = false;
      this.armAnswerTimer(pc); // the accept carried our offer
    } else if (this.offersFirst && pc.signalingState === "have-local-offer") {
      this.negotiationPending = false;
      this.sendDescription(pc).then(() => this.armAnswerTimer(pc)); // made while ringing, not carried: send it now
    } else if (this.negotiationPending) {
      this.negotiationPending = false;
      this.negotiate(pc);
    }
    for (const candidate of this.heldLocalCandidates.splice(0)) this.send({ candidate });
    const early = this.earlySignals.splice(0);
    for (const message of early) this.handleSignal(message);
  }

  /**
   * Booth: set the console's answer to our ringing offer (from call.start). Should it not apply, the offer goes as a
   * signal after all (the console takes it as a new offer and answers again): the old path, a hop later.
   */
  takeCarriedAnswer(pc, answer) {
    this.signalChain = this.signalChain.then(async () => {
      try {
        await this.applySignal({ description: answer });
      } catch (err) {
        console.warn("call: the carried answer does not fit; sending the offer", err);
        if (pc === this.pc && !this.closed && pc.signalingState === "have-local-offer") await this.sendDescription(pc);
      }
    });
  }

  async openAndBuild({ pool, premade = null }) {
    // With a pool the connection is made before the camera opens: the TURN allocation (two round trips to the
    // relay) runs while the camera starts, not after it (or was made before the call rang: `premade`).
    const early = pool ? (premade ?? this.newPeerConnection({ pool })) : null;
    this.localStream = await openLocalMedia();
    if (this.closed) {
      early?.close();
      this.stopLocalTracks();
      return;
    }
    if (this.localStream) {
      this.localVideo.muted = true;
      this.localVideo.srcObject = this.localStream;
      this.localVideo.play().catch(() => {});
    }
    const hasVideo = Boolean(this.localStream?.getVideoTracks().length);
    const hasAudio = Boolean(this.localStream?.getAudioTracks().length);
    if (!hasVideo || !hasAudio) this.onMediaProblem("no_local_media");

    this.hasLocalVideo = hasVideo;
    this.hasLocalAudio = hasAudio;
    this.buildConnection({ premade: early });
    await this.scaling; // the start scale is on the video sender before anything is offered or answered
  }

  newPeerConnection({ pool = false } = {}) {
    // A pool gathers (and allocates TURN) at once, before there is a description to gather for.
    return new RTCPeerConnection({ iceServers: this.iceServers, iceCandidatePoolSize: pool ? 1 : 0 });
  }

  /**
   * A signaling link came back: our own socket reconnected (`own`), or the server said the other side's did
   * (`peer.link {connected: true}`). Media starts over on a fresh RTCPeerConnection built from the same
   * call data, without anyone pressing anything: the impolite side offers at once, the polite side answers
   * (and offers itself if no offer comes). The polite side does nothing for the other side's return (the
   * impolite side's fresh offer rebuilds it), and skips its own rebuild when an offer already arrived on this
   * socket connection (it is already negotiating afresh).
   */
  resume({ own }) {
    if (this.closed || !this.pc) return false; // start() has not built a connection yet: it will be fresh
    if (this.polite && (!own || this.offerSocketId === this.socket.id)) return false;
    this.resumes += 1;
    this.remoteVideo.dataset.resumes = String(this.resumes);
    this.politeWaitMs = POLITE_RESUME_OFFER_WAIT_MS;
    this.iceRestarts = 0;
    this.unansweredOffers = 0;
    this.buildConnection(); // negotiationneeded: the impolite side offers, the polite side waits
    return true;
  }

  /** A fresh RTCPeerConnection with the local tracks (also used to rebuild after the peer reloaded). */
  buildConnection({ premade = null } = {}) {
    if (!premade) this.offersFirst = !this.polite; // a rebuild: the impolite side offers, as after any link loss
    this.closeConnection();
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;
    this.heldCandidates = [];
    this.heldLocalCandidates = [];
    this.earlyOfferSent = false;
    this.answeredWhileRinging = false;
    this.remoteStream = null;
    this.remoteDescribed = false;
    clearTimeout(this.answerTimer);
    clearTimeout(this.firstOfferTimer);
    const pc = premade ?? this.newPeerConnection();
    this.pc = pc;
    pc.onnegotiationneeded = () => this.negotiate(pc);
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !candidate.candidate || pc !== this.pc) return;
      if (this.held) this.heldLocalCandidates.push(candidate.toJSON()); // sent once the call starts
      else this.send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = (event) => this.showRemoteTrack(event);
    pc.onconnectionstatechange = () => {
      trace(`connection ${pc.connectionState}`);
      this.remoteVideo.dataset.connection = pc.connectionState; // visible to tests and to styling
      this.onConnectionState(pc.connectionState);
      if (pc.connectionState === "failed") this.restartIce(pc);
    };
    const scaling = [];
    if (this.localStream) {
      for (const track of this.localStream.getTracks()) {
        const sender = pc.addTrack(track, this.localStream);
        // the first frames at 640x360, not the camera's 1280x720: they go at once (ladder.js startSmall); the
        // call's LinkWatch lifts the picture to full once the link shows it can carry it
        if (track.kind === "video") scaling.push(startSmall(sender, track).catch((err) => console.warn("call: start scale", err)));
      }
    }
    this.scaling = Promise.all(scaling);
    if (!this.hasLocalAudio) pc.addTransceiver("audio", { direction: "recvonly" });
    if (!this.hasLocalVideo) pc.addTransceiver("video", { direction: "recvonly" });
    return pc;
  }

  async negotiate(pc) {
    if (pc !== this.pc || this.closed) return;
    if (this.held) {
      this.negotiationPending = true;
      return;
    }
    if (!this.offersFirst && !this.remoteDescribed) {
      clearTimeout(this.firstOfferTimer);
      this.firstOfferTimer = setTimeout(() => {
        if (!this.remoteDescribed && pc === this.pc && pc.signalingState === "stable") this.offerNow(pc);
      }, this.politeWaitMs);
      return;
    }
    await this.offerNow(pc);
  }

  /**
   * `watchAnswer` false: a renegotiation on a connected call (the packet time) whose answer may be slow on the
   * starved link that asked for it; no answer in time must not rebuild a call whose media still flows.
   */
  async offerNow(pc, { watchAnswer = true } = {}) {
    trace("offer", { state: pc.signalingState });
    // Only from stable: in have-remote-offer the implicit setLocalDescription() would answer the offer itself, racing
    // the answer applySignal is making (its own then failed "in wrong state: stable", CI session 12); once the
    // offer is settled the connection is stable again and fires negotiationneeded anew if still needed.
    if (pc.signalingState !== "stable") return;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      if (this.closed) return;
      await this.sendDescription(pc);
      if (watchAnswer) this.armAnswerTimer(pc);
    } catch (err) {
      console.error("call: negotiation failed", err);
    } finally {
      this.makingOffer = false;
    }
  }

  /** Apply a relayed `signal` message ({description} or {candidate}); safe to call before start(). */
  handleSignal(message) {
    if (this.closed || message.consultation_id !== this.consultationId) return this.signalChain;
    if (!this.pc || this.held) {
      if (this.earlySignals.length < MAX_EARLY_SIGNALS) this.earlySignals.push(message);
      return this.signalChain;
    }
    this.signalChain = this.signalChain
      .then(() => this.applySignal(message))
      .catch((err) => console.error("call: could not apply signal", err));
    return this.signalChain;
  }

  async applySignal({ description, candidate }) {
    const pc = this.pc;
    if (this.closed) return;
    if (description) {
      const readyForOffer =
        !this.makingOffer && (pc.signalingState === "stable" || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === "offer" && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      trace(`signal: ${description.type}`, { state: pc.signalingState, collision: offerCollision });
      if (this.ignoreOffer) return;
      this.isSettingRemoteAnswerPending = description.type === "answer";
      let target = pc;
      try {
        await target.setRemoteDescription(description);
      } catch (err) {
        // An offer that cannot apply to this connection comes from a peer that reloaded its page and built a
        // new connection (new DTLS identity): start over with a fresh connection and take the offer there.
        if (description.type !== "offer") throw err;
        console.warn("call: remote offer does not fit; rebuilding the connection", err);
        target = this.buildConnection();
        await target.setRemoteDescription(description);
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      this.remoteDescribed = true;
      clearTimeout(this.firstOfferTimer);
      if (description.type === "answer") clearTimeout(this.answerTimer);
      if (description.type === "offer") this.offerSocketId = this.socket.id;
      this.armWatchdog(target);
      await this.flushHeldCandidates();
      if (description.type === "offer") {
        this.setVideoDirection(target);
        const answer = this.polite ? undefined : await this.serverAnswer(target);
        if (target.signalingState !== "have-remote-offer") {
          // the offer was settled while the answer was being made (a newer description came in): nothing to answer
          console.warn("call: offer already settled; no answer sent", target.signalingState);
          return;
        }
        await target.setLocalDescription(answer);
        await this.sendDescription(target);
      } else {
        this.askPacketTime(); // the packet time may have changed while this offer was out
      }
    } else if (candidate) {
      if (!pc.remoteDescription) {
        this.heldCandidates.push(candidate);
        return;
      }
      await this.addCandidate(candidate);
    }
  }

  /** The impolite side (the console) answers as the DTLS server: the booth starts the handshake (sdp.js). */
  async serverAnswer(pc) {
    const answer = await pc.createAnswer();
    return { type: "answer", sdp: asDtlsServer(answer.sdp) };
  }

  /** Our local description, asking the other side for our voice packet time (sdp.js). */
  sendDescription(pc) {
    const { type, sdp } = pc.localDescription;
    this.sentPacketMs = this.audioPacketMs;
    trace(`sending our ${type}`);
    return this.send({ description: { type, sdp: withPacketTime(sdp, this.audioPacketMs) } });
  }

  /**
   * The ladder's voice step asks the other side for longer voice packets (`ms`), its video steps for the
   * default (null). A description carries it, so the impolite side renegotiates; the polite side's next answer
   * carries it.
   */
  setAudioPacketMs(ms) {
    if (ms === this.audioPacketMs) return;
    this.audioPacketMs = ms;
    this.askPacketTime();
  }

  askPacketTime() {
    const pc = this.pc;
    if (this.polite || this.closed || this.held || !pc || !this.remoteDescribed) return;
    if (this.sentPacketMs === this.audioPacketMs || this.makingOffer || pc.signalingState !== "stable") return;
    this.setVideoDirection(pc);
    this.offerNow(pc, { watchAnswer: pc.connectionState !== "connected" });
  }

  /**
   * At the voice and chat steps (a packet time is asked) the video transceivers go `inactive` in the same
   * renegotiation, so the video send stream is torn down with everything its pacer still held and the
   * retransmissions asked of it: with only the track removed, a 48 kbit/s link kept carrying queued video for
   * about 10 s after the step to voice. Set only while a description is being made (never in `stable`, where it
   * would fire negotiationneeded on the polite side).
   */
  setVideoDirection(pc) {
    const voiceOnly = this.audioPacketMs !== null;
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.receiver.track?.kind !== "video" || transceiver.stopped) continue;
      const wanted = voiceOnly ? "inactive" : this.hasLocalVideo ? "sendrecv" : "recvonly";
      if (transceiver.direction !== wanted) transceiver.direction = wanted;
    }
  }

  /** Impolite side: an offer nobody answered is made again, on a fresh connection. */
  armAnswerTimer(pc) {
    if (this.polite) return;
    clearTimeout(this.answerTimer);
    this.answerTimer = setTimeout(() => {
      if (this.closed || pc !== this.pc || pc.signalingState !== "have-local-offer") return;
      if (this.unansweredOffers >= MAX_UNANSWERED_OFFERS) return;
      this.unansweredOffers += 1;
      console.warn(`call: offer not answered; offering again (${this.unansweredOffers})`);
      this.buildConnection();
    }, ANSWER_WAIT_MS);
  }

  armWatchdog(pc) {
    if (this.polite) return;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (pc === this.pc && pc.connectionState !== "connected") this.restartIce(pc);
    }, CONNECT_WATCHDOG_MS);
  }

  restartIce(pc) {
    if (this.polite || this.closed || this.held || pc !== this.pc || this.iceRestarts >= MAX_ICE_RESTARTS) return;
    this.iceRestarts += 1;
    console.warn(`call: not connected (${pc.connectionState}); ICE restart ${this.iceRestarts}`);
    pc.restartIce(); // fires negotiationneeded: a new offer with fresh ICE credentials
  }

  async flushHeldCandidates() {
    const held = this.heldCandidates.splice(0);
    for (const candidate of held) await this.addCandidate(candidate);
  }

  async addCandidate(candidate) {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      if (!this.ignoreOffer) console.warn("call: candidate refused", err);
    }
  }

  /**
   * The only place a page sends a signal. When the server addresses signals (a `to` participant, for
   * consultations with more than two), the addressee goes into this payload and nowhere else.
   */
  async send(fields) {
    try {
      await request(this.socket, SEND.SIGNAL, { consultation_id: this.consultationId, ...fields });
    } catch (err) {
      console.warn("call: signal not delivered", err.code || err);
    }
  }

  showRemoteTrack({ track, streams }) {
    if (streams && streams[0]) {
      this.remoteStream = streams[0];
    } else {
      if (!this.remoteStream) this.remoteStream = new MediaStream();
      this.remoteStream.addTrack(track);
    }
    if (this.remoteVideo.srcObject !== this.remoteStream) this.remoteVideo.srcObject = this.remoteStream;
    this.remoteVideo.play().catch(() => {});
  }

  /** Mute or unmute the microphone; returns the new state. */
  setMuted(muted) {
    this.muted = Boolean(muted);
    for (const track of this.localStream?.getAudioTracks() ?? []) track.enabled = !this.muted;
    return this.muted;
  }

  stopLocalTracks() {
    for (const track of this.localStream?.getTracks() ?? []) track.stop();
    this.localStream = null;
  }

  /** Close the peer connection, deaf to its events first: a connection being replaced must not act any more. */
  closeConnection() {
    if (!this.pc) return;
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }

  /** Hang up: close the connection, stop the camera, clear both video elements. Idempotent. */
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.firstOfferTimer);
    clearTimeout(this.answerTimer);
    clearTimeout(this.watchdog);
    this.closeConnection();
    this.stopLocalTracks();
    for (const video of [this.localVideo, this.remoteVideo]) {
      video.pause();
      video.srcObject = null;
    }
    delete this.remoteVideo.dataset.connection;
    this.remoteStream = null;
    this.earlySignals = [];
    this.heldCandidates = [];
  }
}
