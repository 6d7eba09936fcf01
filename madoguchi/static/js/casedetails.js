// What the console shows about the case in hand beyond the call itself: the bot's handoff summary (already masked
// by the server), a transferred case's note and transcript, all as text nodes (server text, never HTML).

import { routeName } from "./caselabels.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

// The offer's "also asked": at most this many earlier topics, each cut to this many characters — the offer is read
// in the seconds it rings (the current need first; the call screen's handoff details have them whole).
const OFFER_ALSO_ASKED = 2;
const OFFER_ALSO_CHARS = 36;

/** The bot's handoff need, if the consultation came through the bot; ``alsoAsked`` (the offer): under it, short,
 * the earlier topics the resident asked about (the call screen lists them in its handoff details instead). */
export function renderSummary(element, summary, { alsoAsked = false } = {}) {
  const need = summary && typeof summary.need === "string" ? summary.need : "";
  element.hidden = !need;
  element.replaceChildren();
  if (!need) return;
  const label = document.createElement("span");
  label.className = "summary-label";
  label.dataset.i18n = "console.summary.label";
  label.textContent = t("console.summary.label");
  const gist = typeof summary.gist === "string" ? summary.gist : "";
  if (gist) {
    // a resident writing in another language: the bot's guess in Japanese first, labelled as a guess, then their
    // words
    const guessLabel = document.createElement("span");
    guessLabel.className = "summary-label";
    guessLabel.dataset.i18n = "console.summary.gist";
    guessLabel.textContent = t("console.summary.gist");
    const guess = document.createElement("span");
    guess.className = "summary-gist";
    guess.dataset.testid = "summary-gist";
    guess.textContent = gist;
    element.append(guessLabel, guess);
  }
  element.append(label, need);
  const earlier = alsoAsked && Array.isArray(summary.also_asked) ? summary.also_asked : [];
  const said = earlier.filter((v) => typeof v === "string" && v).slice(0, OFFER_ALSO_ASKED);
  if (!said.length) return;
  const also = document.createElement("span");
  also.className = "summary-also";
  also.dataset.testid = "summary-also-asked";
  const alsoLabel = document.createElement("span");
  alsoLabel.className = "summary-label";
  alsoLabel.dataset.i18n = "console.summary.also_asked";
  alsoLabel.textContent = t("console.summary.also_asked");
  const short = (text) => (text.length > OFFER_ALSO_CHARS ? `${text.slice(0, OFFER_ALSO_CHARS - 1)}…` : text);
  also.append(alsoLabel, said.map(short).join(" / ")); // server text (masked), never HTML
  element.append(also);
}

/** 「○○さんから: note」: who transferred the case and why. */
export function transferText(transfer) {
  const by = transfer.by || "";
  if (transfer.by_you) {
    // it rings the one who sent it: nobody else could take it (transferform.js told him so before)
    return transfer.note ? t("console.transfer.from_you_note", { note: transfer.note }) : t("console.transfer.from_you");
  }
  return transfer.note
    ? t("console.transfer.from_note", { name: by, note: transfer.note })
    : t("console.transfer.from", { name: by });
}

/**
 * Whether a chat line is the viewing agent's own: a staff line that names them (chat.message's agent_id). One rule
 * for the call's chat and a transfer offer's transcript, which used to disagree: a staff line that names nobody
 * (recorded before lines carried their author) is not claimed as 「あなた」, since after a transfer it may well be
 * the previous agent's.
 */
export function isOwnLine(line, myId) {
  return line?.sender === "agent" && Boolean(myId) && line.agent_id === myId;
}

/** A case another agent transferred: their note and the transcript so far, in the offer. */
export function renderTransfer(offer, myId = null) {
  const transfer = offer.transfer && typeof offer.transfer === "object" ? offer.transfer : null;
  $("offer-transfer").hidden = !transfer;
  $("offer-transfer-note").textContent = transfer ? transferText(transfer) : "";
  const lines = (Array.isArray(offer.chat) ? offer.chat : []).map((line) => {
    const item = document.createElement("li");
    item.dataset.sender = line.sender;
    // the agent's own lines when a case he sent comes back to him; another agent's otherwise
    const mine = isOwnLine(line, myId);
    if (line.sender === "agent") item.dataset.author = mine ? "me" : "previous";
    const agent = mine ? "console.chat.me" : "console.transfer.sender_agent";
    const who = { resident: "console.chat.resident", agent }[line.sender];
    item.textContent = `${t(who || `chat.sender.${line.sender}`)}: ${line.text}`;
    return item;
  });
  $("offer-chat-log").replaceChildren(...lines);
}

/** The bot's whole handoff summary beside the call: urgent flag, need (call-summary: what the resident wants now),
 * what else they asked, what the bot said, flags. */
export function renderHandoff(c) {
  const summary = c?.summary && typeof c.summary === "object" ? c.summary : null;
  const urgent = c?.urgent === true;
  $("call-urgent").hidden = !urgent;
  const details = [];
  const add = (key, values) => {
    const texts = (Array.isArray(values) ? values : [values]).filter((v) => typeof v === "string" && v);
    if (!texts.length) return;
    const term = document.createElement("dt");
    term.dataset.i18n = key;
    term.textContent = t(key);
    const description = document.createElement("dd");
    description.textContent = texts.join(" / "); // server text (masked), never HTML
    details.push(term, description);
  };
  if (summary) {
    // the case's route now, not the bot's: after a transfer the heading said 税金 beside 「窓口 マイナンバーカード」
    // (uxtest item 2); the bot's choice stays in its own words (need, bot_said)
    const route = typeof c.route === "string" && c.route ? c.route : summary.route;
    add("console.summary.route", route ? routeName(route) : summary.route_name);
    add("console.summary.also_asked", summary.also_asked);
    add("console.summary.bot_said", summary.bot_said);
    add("console.summary.flags", summary.flags);
  }
  $("handoff-details").replaceChildren(...details);
  $("handoff-summary").hidden = !urgent && !summary;
}
