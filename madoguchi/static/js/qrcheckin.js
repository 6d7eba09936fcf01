// Check-in by QR code at the booth: the resident holds the booking page's QR code to the kiosk's camera instead
// of typing the twelve digits (eight for a code given before session 13).
//
// Why it drives the number pad: the kiosk's check-in (booth.js) already checks the code, shows it large and says
// what happened; a read QR code is typed into the same pad (its buttons) and sent with the same button, so both
// ways behave the same. jsQR (vendored, static/vendor/jsQR.js) is loaded only when the camera is opened. Only QR
// codes made by the booking page (madoguchi-booking:<12 digits>, or 8 for a code given before session 13) are taken; anything else is ignored.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const SCAN_EVERY_MS = 200;
const GIVE_UP_MS = 60000;

let library = null;

function loadJsQr() {
  library ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/static/vendor/jsQR.js";
    script.onload = () => resolve(window.jsQR);
    script.onerror = () => reject(new Error("jsQR could not be loaded"));
    document.head.append(script);
  });
  return library;
}

/** The booking code in a QR code's text, or null. */
export function bookingCode(text) {
  const match = /^madoguchi-booking:(\d{12}|\d{8})$/.exec(String(text || "").trim());
  return match ? match[1] : null;
}

export class QrCheckIn {
  constructor() {
    this.stream = null;
    this.timer = null;
    this.deadline = 0;
    this.canvas = document.createElement("canvas");
    $("checkin-scan").addEventListener("click", () => (this.stream ? this.stop() : this.start()));
    // leaving the check-in screen (back, timeout, sent) closes the camera
    new MutationObserver(() => {
      if (document.querySelector('section[data-screen="checkin"]').hidden) this.stop();
    }).observe(document.querySelector('section[data-screen="checkin"]'), { attributeFilter: ["hidden"] });
  }

  say(key) {
    $("checkin-scan-status").dataset.i18n = key;
    $("checkin-scan-status").textContent = t(key);
  }

  async start() {
    $("checkin-camera-box").hidden = false;
    this.say("booth.checkin.scan_hint");
    let jsQR;
    try {
      [jsQR, this.stream] = await Promise.all([
        loadJsQr(),
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false }),
      ]);
    } catch (err) {
      console.warn("qr check-in: no camera", err);
      this.say("booth.checkin.scan_no_camera");
      return;
    }
    const video = $("checkin-camera");
    video.srcObject = this.stream;
    $("checkin-scan").dataset.i18n = "booth.checkin.scan_stop";
    $("checkin-scan").textContent = t("booth.checkin.scan_stop");
    this.deadline = Date.now() + GIVE_UP_MS;
    this.timer = setInterval(() => this.look(jsQR, video), SCAN_EVERY_MS);
  }

  look(jsQR, video) {
    if (Date.now() > this.deadline) {
      this.stop();
      $("checkin-camera-box").hidden = false;
      this.say("booth.checkin.scan_timeout");
      return;
    }
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    const context = this.canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    const found = jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
    const code = found && bookingCode(found.data);
    if (!code) return;
    this.stop();
    this.type(code);
  }

  /** Type the code into the kiosk's number pad and send it, as a resident pressing the keys would. */
  type(code) {
    const key = (testid) => document.querySelector(`#checkin-pad [data-testid="${testid}"]`);
    key("checkin-clear").click();
    for (const digit of code) key(`checkin-digit-${digit}`).click();
    $("checkin-submit").click();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    $("checkin-camera").srcObject = null;
    $("checkin-camera-box").hidden = true;
    $("checkin-scan").dataset.i18n = "booth.checkin.scan";
    $("checkin-scan").textContent = t("booth.checkin.scan");
  }
}
