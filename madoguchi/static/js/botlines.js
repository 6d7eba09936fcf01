// What the bot's lines carry on the resident's chat page besides their text: phone numbers as tappable tel:
// links, the answer's knowledge-base links, はい/いいえ under the danger question, and its suggestions as buttons.
// Everything is text nodes and DOM elements (never innerHTML); the texts are the town's own, never the resident's.

import { setDial } from "./hotlines.js";
import { t } from "./i18n.js";

// Phone numbers in the bot's answers (0997-00-1234, 0120-279-889, #8008, 110) become tel: links.
const PHONE_RE = /(#\d{4}|0\d{1,4}-\d{1,4}-\d{3,4}|(?<![0-9-])(?:110|119|189|188)(?![0-9-]))/g;

/** The text as text nodes, with each phone number as a tappable tel: link (never innerHTML). */
export function withPhoneLinks(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(PHONE_RE)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.className = "phone-link";
    setDial(link, match[0]);
    link.textContent = match[0];
    nodes.push(link);
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** The knowledge-base links of an answer (http(s) only). */
function linkList(links) {
  const list = document.createElement("ul");
  list.className = "answer-links";
  for (const link of links) {
    if (!link || typeof link.url !== "string" || !/^https?:\/\//.test(link.url)) continue;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = link.url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.dataset.testid = "answer-link";
    a.textContent = String(link.title || link.url);
    li.append(a);
    list.append(li);
  }
  return list;
}

/** はい / いいえ under the bot's danger question (the chat's, and the kiosk's free-text question's): ``say`` gets the
 * button's words and which one ("yes" / "no"); in the chat the words go as the resident's own line. */
export function safetyButtons({ canAnswer, say }) {
  const row = document.createElement("div");
  row.className = "safety-answers";
  const buttons = ["yes", "no"].map((answer) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = answer === "yes" ? "btn btn-danger safety-answer" : "btn safety-answer";
    button.dataset.testid = `safety-${answer}`;
    button.dataset.i18n = `resident.safety.${answer}`;
    button.textContent = t(`resident.safety.${answer}`);
    return button;
  });
  for (const button of buttons) {
    button.addEventListener("click", () => {
      if (!canAnswer()) return;
      for (const b of buttons) b.disabled = true;
      say(button.textContent, button.dataset.testid === "safety-yes" ? "yes" : "no");
    });
  }
  row.append(...buttons);
  return row;
}

/**
 * The chat panel's decorate hook: what the bot's line carries besides its text.
 * @param {object} hooks
 * @param {(booking: object) => string} hooks.bookingHref the booking page for the bot's offer (topic chosen)
 * @param {() => boolean} hooks.canAnswer the bot is still the one talking (its buttons work)
 * @param {(text: string) => void} hooks.say send a line as the resident's own
 * @param {(entryId: string, button: HTMLButtonElement) => void} hooks.choose ask for a suggested answer
 */
export function botLineDecorator(hooks) {
  return (item, message) => decorateLine(item, message, hooks);
}

function decorateLine(item, message, hooks) {
  if (message.sender !== "bot") return;
  const body = item.querySelector(".chat-text");
  if (body) body.replaceChildren(...withPhoneLinks(String(message.text ?? "")));
  const bot = message.bot;
  if (!bot) return;
  if (Array.isArray(bot.links) && bot.links.length) item.append(linkList(bot.links));
  if (bot.safety_check === true) item.append(safetyButtons(hooks));
  if (bot.booking && typeof bot.booking === "object") item.append(bookingButton(bot.booking, hooks.bookingHref));
  addSuggestions(item, bot, hooks.choose);
}

/** The bot's button to the booking page (it offers one when the resident asks about booking). */
function bookingButton(booking, bookingHref) {
  const row = document.createElement("div");
  row.className = "bot-book-row";
  const link = document.createElement("a");
  link.className = "btn btn-primary bot-book";
  link.dataset.testid = "bot-book";
  link.dataset.i18n = "resident.book_link";
  link.textContent = t("resident.book_link");
  link.href = bookingHref(booking);
  link.addEventListener("click", () => {
    link.href = bookingHref(booking); // the language may have changed since the line came
  });
  row.append(link);
  return row;
}

/** The bot's suggestions under its line, each a button that asks for that answer. */
function addSuggestions(item, bot, choose) {
  if (!Array.isArray(bot.suggestions) || !bot.suggestions.length) return;
  const choices = document.createElement("div");
  choices.className = "suggestions";
  for (const suggestion of bot.suggestions) {
    if (!suggestion || typeof suggestion.entry_id !== "string") continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn suggestion";
    button.dataset.testid = "bot-suggestion";
    button.dataset.entryId = suggestion.entry_id;
    button.textContent = String(suggestion.title || "");
    button.addEventListener("click", () => choose(suggestion.entry_id, button));
    choices.append(button);
  }
  item.append(choices);
}

