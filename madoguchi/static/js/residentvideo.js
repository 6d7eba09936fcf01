// Video from home: the agent's invitation to switch a web chat to video (one tap to accept), and the video call
// itself on the resident's phone — the same call screen as the booth (callscreen.js), sized for a phone.
//
// Why a separate module listening on the socket itself: resident.js owns the chat and its phases; this adds the
// invitation card and the call screen without touching them. The server decides when there is media: call.start
// (or the restored view's `call`) with `media: true` starts the call, call.end / consultation.closed stop it. The
// resident's side is polite (it answers the agent's offer), like the booth.

import { Banner } from "./banner.js";
import { CallScreen } from "./callscreen.js";
import { RECEIVE, SEND } from "./events.js";
import { t } from "./i18n.js";
import { errorText, request } from "./net.js";

const $ = (id) => document.getElementById(id);

export class ResidentVideo {
  /**
   * @param {object} options
   * @param {any} options.socket  the /resident socket
   * @param {Banner} options.banner  the page's message strip
   */
  constructor({ socket, banner }) {
    this.socket = socket;
    this.banner = banner;
    this.invitedFor = null; // the consultation whose invitation is on screen
    this.screen = new CallScreen({
      socket,
      polite: true,
      label: "resident",
      banner,
      reconnectingKeys: ["resident.conn.offline"],
      show: () => this.show(true),
      onStart: () => {},
    });
    $("video-invite-accept").addEventListener("click", () => this.answer(true));
    $("video-invite-decline").addEventListener("click", () => this.answer(false));
    $("mute").addEventListener("click", () => this.screen.setMuted(!this.screen.call?.muted));
    $("end-call").addEventListener("click", () => $("chat-end").click()); // the chat's own end, with its checks
    socket.on(RECEIVE.VIDEO_INVITE, (message) => this.invited(message));
    socket.on(RECEIVE.CALL_START, (message) => this.start(message));
    socket.on(RECEIVE.SIGNAL, (message) => this.screen.signal(message));
    socket.on(RECEIVE.PEER_LINK, (message) => this.screen.live && this.screen.peerLink(message.connected));
    socket.on(RECEIVE.CALL_END, () => this.stop());
    socket.on(RECEIVE.CONSULTATION_CLOSED, () => this.stop());
    socket.on(RECEIVE.RESIDENT_STATE, (message) => {
      const call = message.consultation?.call;
      if (call) this.start(call, { reconnected: true });
      else this.stop();
    });
    socket.on("disconnect", () => this.screen.live && this.screen.linkDown());
    socket.on("connect", () => this.screen.live && this.screen.linkUp());
  }

  invited(message) {
    this.invitedFor = message.consultation_id;
    $("video-invite-card").hidden = false;
    $("video-invite-accept").focus();
  }

  async answer(accepted) {
    const consultationId = this.invitedFor;
    if (!consultationId) return;
    for (const id of ["video-invite-accept", "video-invite-decline"]) $(id).disabled = true;
    try {
      await request(this.socket, accepted ? SEND.VIDEO_ACCEPT : SEND.VIDEO_DECLINE, { consultation_id: consultationId });
      $("video-invite-card").hidden = true;
      this.invitedFor = null;
      if (accepted) this.banner.show(t("media.connecting"), { kind: "info" });
    } catch (err) {
      this.banner.show(errorText(err));
      // the invitation is gone (it ended with the call it was for: a transfer, the end)
      if (err.code === "not_invited" || err.code === "invalid_state") $("video-invite-card").hidden = true;
    } finally {
      for (const id of ["video-invite-accept", "video-invite-decline"]) $(id).disabled = false;
    }
  }

  start(message, { reconnected = false } = {}) {
    if (message.media !== true) return; // a text chat: resident.js shows it
    $("video-invite-card").hidden = true;
    this.screen.start(message, { reconnected });
  }

  stop() {
    $("video-invite-card").hidden = true;
    this.invitedFor = null;
    if (this.screen.call || !$("resident-video").hidden) this.screen.stop();
    this.show(false);
  }

  show(on) {
    $("resident-video").hidden = !on;
    document.body.dataset.video = on ? "on" : "off";
  }
}

/**
 * The booked video call from home: the booking page links here with `#booking=<code>`. Once the socket is up the
 * booking is checked in (`booking.start`) and the resident waits in the queue like any chat, on video from the
 * start; the page's own restore path (resident.state) adopts the new case. The code leaves the address at once.
 */
export function startBookedVideo({ socket, banner, language }) {
  const code = new URLSearchParams(location.hash.slice(1)).get("booking");
  if (!code) return;
  history.replaceState(null, "", location.pathname + location.search);
  const start = async () => {
    socket.off("connect", start);
    try {
      const ack = await request(socket, SEND.BOOKING_START, { booking: code.replace(/\D/g, ""), language: language() });
      for (const listener of socket.listeners(RECEIVE.RESIDENT_STATE)) listener({ consultation: ack.consultation });
      banner.show(t(`booth.checkin.${ack.booking.outcome}`), { kind: "info" });
    } catch (err) {
      const key = { unknown_code: 1, not_today: 1, not_changeable: 1, cancelled: 1, too_many_wrong_codes: 1 }[err.code]
        ? `booth.checkin.error.${err.code}`
        : err.code === "wrong_way"
          ? "resident.video.wrong_way"
          : null;
      banner.show(key ? t(key) : errorText(err), { sticky: true });
    }
  };
  if (socket.connected) start();
  else socket.on("connect", start);
}
