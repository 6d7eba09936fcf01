// The kiosk's free-text question on the route screen: the resident's own words (typed, or spoken where the
// browser offers speech input), the server's triage (triage.preview) offering the two or three likely topics as
// big buttons. Why its own module: it is a small conversation of its own beside the route buttons; the booth only
// learns which route (and which words) the resident chose.

import { safetyButtons } from "./botlines.js";
import { SEND } from "./events.js";
import { hotlineItems } from "./hotlines.js";
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
   * @param {(route: string, question: string, safety?: {answer: string, hotlines: object[]}) => void} options.choose
   *   the resident chose a topic; ``safety``: they answered はい to the danger question (the case goes urgent)
   * @param {() => void} options.finish the bot's answer was enough: back to the start screen
   */
  constructor({ socket, banner, busy, choose, finish }) {
    this.socket = socket;
    this.banner = banner;
    this.busy = busy;
    this.choose = choose;
    this.finish = finish;
    // the topic buttons already on screen speak the new language too (「ごみ・環境」の ことですか？ stayed in
    // Japanese on a Nepali screen); the bot's answer stays in the words it was given in
    document.addEventListener("i18n:change", () => {
      for (const button of document.querySelectorAll('[data-testid="question-suggestion"]')) {
        button.textContent = t("booth.question.is_it", { topic: t(`route.${button.dataset.route}`) });
      }
      for (const button of document.querySelectorAll('[data-testid="question-talk"]')) {
        button.textContent = t("booth.question.talk", { topic: t(`route.${button.dataset.route}`) });
      }
      const numbers = document.querySelector(".question-suggestions .hotlines");
      if (numbers && this.hotlines) numbers.replaceChildren(...hotlineItems(this.hotlines));
      for (const key of ["done", "other_topics"]) {
        const button = document.querySelector(`.question-choices [data-i18n="booth.question.${key}"]`);
        if (button) button.textContent = t(`booth.question.${key}`);
      }
    });
    $("question-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    this.setUpMicrophone();
  }

  clear() {
    this.hotlines = null;
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

  /** The resident's own words: the server's triage offers the two or three likely topics as big buttons.
   * ``safetyAnswer``: the resident's いいえ to the danger question asked about these words (the topics follow). */
  async ask(safetyAnswer = null) {
    const text = $("question-input").value.trim();
    if (this.busy()) return;
    if (!text) {
      // 「きく」 with nothing typed did nothing at all (ux16): say what to do, where the answer would be
      const box = $("question-suggestions");
      box.textContent = t("booth.question.empty");
      box.dataset.empty = "true";
      box.hidden = false;
      $("question-input").focus();
      return;
    }
    delete $("question-suggestions").dataset.empty;
    $("question-submit").disabled = true;
    try {
      // the page's language: the resident's choice; on the default (ordinary Japanese) page the server answers
      // words written as easy Japanese (「ごみ を すてる ひ は」) in easy Japanese
      const payload = { text, language: language() };
      if (safetyAnswer) payload.safety_answer = safetyAnswer;
      const { triage } = await request(this.socket, SEND.TRIAGE_PREVIEW, payload);
      const routes = [];
      for (const route of [triage.route, ...(triage.suggestions || []).map((s) => s.route)]) {
        if (typeof route === "string" && !routes.includes(route) && routes.length < 3) routes.push(route);
      }
      // danger: to the front of the line, with 110/119 and the hotlines on the waiting screen (the request's ack)
      if (triage.urgent && routes.length) return this.choose(routes[0], text, { answer: null, hotlines: triage.hotlines });
      if (triage.safety_check) return this.askSafety(triage, routes[0] || null, text);
      const box = $("question-suggestions");
      // the bot is sure of an answer (the phone chat would give it): the booth shows it too, in large plain text,
      // and under it the three plain choices (afterAnswer) for whoever is done, or still wants a person
      const answer = triage.action === "answer" && typeof triage.answer === "string" ? triage.answer.trim() : "";
      const said = [];
      if (answer) {
        const text = document.createElement("p");
        text.className = "question-answer";
        text.dataset.testid = "question-answer";
        text.textContent = answer;
        said.push(text);
      }
      // Before an answer: 「「ごみ・環境」の ことですか？」 per likely topic (a tap queues for it). After one, three
      // plain choices, never a question that queues: 「職員と 話す（ごみ・環境）」 (queues for that counter; first
      // when this booth has it), 「わかりました（おわる）」 (done, back to the start), 「ほかの ご用件から えらぶ」.
      const choices = answer ? this.afterAnswer(routes[0], text) : routes.map((route) => this.suggestion(route, text));
      const row = document.createElement("div");
      row.className = "question-choices";
      row.append(...choices);
      box.replaceChildren(...said, row);
      this.showAnswer(Boolean(answer));
      if (!routes.length && !answer) box.textContent = t("booth.question.none");
      box.hidden = false;
      box.scrollIntoView?.({ block: "nearest" });
    } catch (err) {
      this.banner.show(errorText(err));
    } finally {
      $("question-submit").disabled = false;
    }
  }

  /** The chat's danger question (「いま、あなたや だれかが 危ない 状態ですか？」) with its big はい/いいえ, and 110/119
   * and the hotlines at once under it: はい queues the case urgent (ahead of the line, the numbers stay on the
   * waiting screen), いいえ goes on to the topics of the words, as the resident chat does. */
  askSafety(triage, route, question) {
    const box = $("question-suggestions");
    const asked = document.createElement("p");
    asked.className = "question-answer question-danger";
    asked.dataset.testid = "question-danger";
    asked.textContent = typeof triage.answer === "string" ? triage.answer : "";
    this.hotlines = Array.isArray(triage.hotlines) ? triage.hotlines : [];
    const numbers = document.createElement("ul");
    numbers.className = "hotlines";
    numbers.dataset.testid = "question-hotlines";
    numbers.replaceChildren(...hotlineItems(this.hotlines));
    const buttons = safetyButtons({
      canAnswer: () => !this.busy(),
      say: (_words, answer) => {
        if (answer === "yes") this.choose(route || "general_inquiry", question, { answer: "yes", hotlines: this.hotlines });
        else this.ask("no");
      },
    });
    buttons.classList.add("question-safety");
    box.replaceChildren(asked, buttons, numbers);
    this.showAnswer(true);
    box.hidden = false;
    box.scrollIntoView?.({ block: "nearest" });
  }

  /** 「「ごみ・環境」の ことですか？」: a likely topic before the bot is sure; a tap asks for a person of it. */
  suggestion(route, question) {
    const button = this.button("btn btn-large question-suggestion", "question-suggestion");
    button.dataset.route = route;
    button.textContent = t("booth.question.is_it", { topic: t(`route.${route}`) });
    button.addEventListener("click", () => this.choose(route, question));
    return button;
  }

  /** The choices under the bot's answer. When its topic is one staff handle at this booth (one of its route
   * buttons), 「職員と 話す」 comes first and is the prominent one, then done, then other topics: the resident is
   * already at a counter, and the answer's "at the town hall" with a big 「わかりました（おわる）」 sent them away
   * for something they could do right here (ux13). Otherwise done first, as the web chat has it. */
  afterAnswer(route, question) {
    const here = Boolean(route && document.querySelector(`.route-button[data-route="${CSS.escape(route)}"]`));
    const done = this.button(
      `btn ${here ? "btn-secondary" : "btn-primary"} btn-large question-done`,
      "question-done",
      "booth.question.done",
    );
    done.addEventListener("click", () => {
      // counted as finished by the bot (nothing stored); the kiosk goes back to its start whatever the answer
      if (route) request(this.socket, SEND.QUESTION_ANSWERED, { route }).catch(() => {});
      this.finish();
    });
    const choices = [done];
    if (route) {
      const talk = this.button(
        here ? "btn btn-primary btn-large question-talk" : "btn btn-large question-suggestion question-talk",
        "question-talk",
      );
      talk.dataset.route = route;
      talk.textContent = t("booth.question.talk", { topic: t(`route.${route}`) });
      talk.addEventListener("click", () => this.choose(route, question));
      if (here) choices.unshift(talk);
      else choices.push(talk);
    }
    const others = this.button(
      "btn btn-secondary btn-large question-other-topics",
      "question-other-topics",
      "booth.question.other_topics",
    );
    others.addEventListener("click", () => this.clear());
    choices.push(others);
    return choices;
  }

  button(className, testid, key = null) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = className;
    button.dataset.testid = testid;
    if (key) {
      button.dataset.i18n = key;
      button.textContent = t(key);
    }
    return button;
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
