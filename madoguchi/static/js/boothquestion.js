// The kiosk's free-text question on the route screen: the resident's own words (typed, or spoken where the
// browser offers speech input), the server's triage (triage.preview) offering the two or three likely topics as
// big buttons. Why its own module: it is a small conversation of its own beside the route buttons; the booth only
// learns which route (and which words) the resident chose.

import { SEND } from "./events.js";
import { language, t } from "./i18n.js";
import { errorText, request } from "./net.js";

const $ = (id) => document.getElementById(id);

// What the speech recogniser listens for in each page language (easy Japanese is spoken Japanese).
const SPEECH_LANGUAGES = {
  ja: "ja-JP",
  "easy-ja": "ja-JP",
  en: "en-US",
  zh: "zh-CN",
  ko: "ko-KR",
  vi: "vi-VN",
  pt: "pt-BR",
  tl: "fil-PH",
  ne: "ne-NP",
};

export class QuestionBox {
  /**
   * @param {object} options
   * @param {import("/static/vendor/socket.io.esm.min.js").Socket} options.socket
   * @param {{show: (text: string) => void}} options.banner
   * @param {() => boolean} options.busy a request is under way: ask nothing
   * @param {(route: string, question: string) => void} options.choose the resident chose a topic
   */
  constructor({ socket, banner, busy, choose }) {
    this.socket = socket;
    this.banner = banner;
    this.busy = busy;
    this.choose = choose;
    $("question-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    this.setUpMicrophone();
  }

  clear() {
    $("question-input").value = "";
    $("question-suggestions").replaceChildren();
    $("question-suggestions").hidden = true;
  }

  /** The resident's own words: the server's triage offers the two or three likely topics as big buttons. */
  async ask() {
    const text = $("question-input").value.trim();
    if (!text || this.busy()) return;
    $("question-submit").disabled = true;
    try {
      const { triage } = await request(this.socket, SEND.TRIAGE_PREVIEW, { text });
      const routes = [];
      for (const route of [triage.route, ...(triage.suggestions || []).map((s) => s.route)]) {
        if (typeof route === "string" && !routes.includes(route) && routes.length < 3) routes.push(route);
      }
      if (triage.urgent && routes.length) return this.choose(routes[0], text); // danger: to the front
      const box = $("question-suggestions");
      box.replaceChildren(
        ...routes.map((route) => {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-large question-suggestion";
          button.dataset.testid = "question-suggestion";
          button.dataset.route = route;
          button.textContent = t("booth.question.is_it", { topic: t(`route.${route}`) });
          button.addEventListener("click", () => this.choose(route, text));
          return button;
        }),
      );
      if (!routes.length) box.textContent = t("booth.question.none");
      box.hidden = false;
      box.scrollIntoView?.({ block: "nearest" });
    } catch (err) {
      this.banner.show(errorText(err));
    } finally {
      $("question-submit").disabled = false;
    }
  }

  /** A big microphone button, only where the browser offers speech input; what it hears is asked at once. */
  setUpMicrophone() {
    const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    if (!Recognition) return; // typing and the route buttons stay
    const mic = $("question-mic");
    mic.hidden = false;
    mic.addEventListener("click", () => {
      const recognition = new Recognition();
      recognition.lang = SPEECH_LANGUAGES[language()] || "ja-JP";
      recognition.interimResults = false;
      recognition.addEventListener("result", (event) => {
        const heard = event.results?.[0]?.[0]?.transcript || "";
        if (!heard) return;
        $("question-input").value = heard;
        this.ask();
      });
      recognition.addEventListener("end", () => mic.classList.remove("listening"));
      mic.classList.add("listening");
      $("question-input").placeholder = t("booth.question.listening");
      recognition.start();
    });
  }
}
