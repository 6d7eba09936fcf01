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
    // the topic buttons already on screen speak the new language too (「ごみ・環境」の ことですか？ stayed in
    // Japanese on a Nepali screen); the bot's answer stays in the words it was given in
    document.addEventListener("i18n:change", () => {
      for (const button of document.querySelectorAll('[data-testid="question-suggestion"]')) {
        button.textContent = t("booth.question.is_it", { topic: t(`route.${button.dataset.route}`) });
      }
      const others = document.querySelector('[data-testid="question-other-topics"]');
      if (others) others.textContent = t("booth.question.other_topics");
    });
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
    this.showAnswer(false);
  }

  /** While the bot's answer is on screen the route buttons give way to it (ほかの ご用件から えらぶ brings them
   * back): the answer is read whole at the kiosk's body size, with the topic buttons right under it, not pushed
   * below the screen's edge by sixteen route buttons (1366×768) or shrunk into a box that scrolls. */
  showAnswer(on) {
    const screen = document.querySelector(".screen-routes");
    if (on) screen.dataset.answered = "true";
    else delete screen.dataset.answered;
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
      // the bot is sure of an answer (the phone chat would give it): the booth shows it too, in large plain text,
      // and the topic buttons stay under it for whoever still wants a person (only 「…のことですか？」 before)
      const answer = triage.action === "answer" && typeof triage.answer === "string" ? triage.answer.trim() : "";
      const said = [];
      if (answer) {
        const text = document.createElement("p");
        text.className = "question-answer";
        text.dataset.testid = "question-answer";
        text.textContent = answer;
        said.push(text);
      }
      const choices = routes.map((route) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-large question-suggestion";
        button.dataset.testid = "question-suggestion";
        button.dataset.route = route;
        button.textContent = t("booth.question.is_it", { topic: t(`route.${route}`) });
        button.addEventListener("click", () => this.choose(route, text));
        return button;
      });
      if (answer) {
        const others = document.createElement("button");
        others.type = "button";
        others.className = "btn btn-secondary btn-large question-other-topics";
        others.dataset.testid = "question-other-topics";
        others.dataset.i18n = "booth.question.other_topics";
        others.textContent = t("booth.question.other_topics");
        others.addEventListener("click", () => this.clear());
        choices.push(others);
      }
      const row = document.createElement("div");
      row.className = "question-choices";
      row.append(...choices);
      box.replaceChildren(...said, row);
      this.showAnswer(Boolean(answer));
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
