// The console's invitation to video: during a web chat with a resident at home, the agent asks them to switch
// to a video call; the resident accepts with one tap on their phone and the call starts again with media.
//
// Why a separate module: console.js owns the call; this only adds one button and its answer. It watches the call
// view's data-media (console.js sets it from call.start) to know whether the current call is text only, so the
// button is offered exactly when it can work, and it disappears once the call is on video.

import { RECEIVE, SEND } from "./events.js";
import { t } from "./i18n.js";
import { errorText, request } from "./net.js";

const $ = (id) => document.getElementById(id);

export class VideoInvite {
  /**
   * @param {object} options
   * @param {any} options.socket  the /agent socket
   * @param {() => object|null} options.consultation  the current consultation ({id, ...}) or null
   */
  constructor({ socket, consultation }) {
    this.socket = socket;
    this.consultation = consultation;
    this.button = $("video-invite");
    this.status = $("video-invite-status");
    this.button.addEventListener("click", () => this.invite());
    socket.on(RECEIVE.VIDEO_ANSWER, (message) => this.answered(message));
    new MutationObserver(() => this.render()).observe($("call-view"), { attributeFilter: ["data-media"] });
    this.render();
  }

  render() {
    const textOnly = $("call-view").dataset.media === "false";
    this.button.hidden = !textOnly;
    if (!textOnly) this.say(null);
  }

  say(key) {
    this.status.hidden = !key;
    this.status.textContent = key ? t(key) : "";
    if (key) this.status.dataset.i18n = key;
  }

  async invite() {
    const c = this.consultation();
    if (!c) return;
    this.button.disabled = true;
    try {
      await request(this.socket, SEND.VIDEO_INVITE, { consultation_id: c.id });
      this.say("console.video.invited");
    } catch (err) {
      this.status.hidden = false;
      this.status.textContent = errorText(err);
    } finally {
      this.button.disabled = false;
    }
  }

  answered(message) {
    if (message.consultation_id !== this.consultation()?.id) return;
    this.say(message.accepted ? "console.video.accepted" : "console.video.declined");
  }
}
