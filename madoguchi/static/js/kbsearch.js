// Knowledge-base search beside the console's chat (kb-search, kb-result): the agent looks something up during a
// call in the resident's language, and a tap on a result puts its answer into the chat input to edit and send.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class KbSearch {
  /** @param {() => string} language the resident's language (the answers come in it) */
  constructor(language) {
    this.language = language;
    $("kb-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
  }

  async search() {
    const q = $("kb-search").value.trim();
    const empty = $("kb-empty");
    $("kb-results").replaceChildren();
    empty.hidden = true;
    if (!q) return;
    try {
      const query = new URLSearchParams({ q, lang: this.language() });
      const response = await fetch(`/api/kb/search?${query}`, { credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) throw new Error(body?.error?.message || String(response.status));
      const items = body.results.map((hit) => result(hit, query.get("lang")));
      $("kb-results").replaceChildren(...items);
      if (!items.length) {
        empty.textContent = t("console.kb.none");
        empty.hidden = false;
      }
    } catch (err) {
      empty.textContent = t("console.kb.failed");
      empty.hidden = false;
      console.warn("console: knowledge-base search failed", err.message);
    }
  }
}

/** One hit: its title and answer; a tap puts the answer, paragraphs and all, into the chat box. When the entry has
 * no text in the chat's language, the hit says which language goes in instead. */
function result(hit, language) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "kb-result";
  button.setAttribute("data-testid", "kb-result");
  const title = document.createElement("strong");
  title.textContent = hit.title;
  const answer = document.createElement("span");
  answer.textContent = hit.answer;
  button.append(title, answer);
  const other = hit.answer_language && hit.answer_language !== language;
  if (other) {
    const note = document.createElement("em");
    note.className = "kb-other-language";
    note.setAttribute("data-testid", "kb-other-language");
    note.textContent = t("console.kb.other_language", { language: t(`lang.${hit.answer_language}`) });
    button.append(note);
  }
  button.addEventListener("click", () => {
    $("chat-input").value = hit.answer;
    $("chat-input").focus();
  });
  item.append(button);
  return item;
}
