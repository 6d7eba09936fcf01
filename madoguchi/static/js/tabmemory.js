// What the resident's browser tab remembers across a reload: the resume token, the chosen language, and the
// bot's extras for the lines of the current conversation.
//
// Why sessionStorage: this tab only, gone when the tab closes, so a shared phone or library PC keeps nothing
// after the resident leaves. Why the bot's extras: the transcript the server replays after a reload carries no
// suggestions, links, danger question or hotlines, so they are kept per line here; they are the town's own
// texts, never anything the resident typed. Storage that is disabled (private mode) only makes a reload forget; the chat still works.

const MAX_REMEMBERED_BOT_LINES = 40;

export class TabMemory {
  /** Keys are `madoguchi.resident.<municipality>.resume|lang|bot`. */
  constructor(municipalityId) {
    this.prefix = `madoguchi.resident.${municipalityId}.`;
  }

  get(name) {
    try {
      return window.sessionStorage.getItem(this.prefix + name);
    } catch {
      return null;
    }
  }

  /** Store a string, or remove the entry for null. */
  set(name, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(this.prefix + name);
      else window.sessionStorage.setItem(this.prefix + name, value);
    } catch {
      /* see get() */
    }
  }

  /** {consultation_id, lines: {seq: {action, urgent, safety_check, suggestions, links}}, hotlines: [...]}, or null. */
  bot() {
    try {
      const raw = JSON.parse(this.get("bot") || "null");
      if (raw && typeof raw === "object" && raw.lines && typeof raw.lines === "object") return raw;
    } catch {
      /* a damaged entry is simply forgotten */
    }
    return null;
  }

  /** Remember a bot line's extras (the newest lines only) and the latest hotlines of this conversation. */
  rememberBotLine(consultationId, seq, bot) {
    const stored = this.bot();
    const memory =
      stored && stored.consultation_id === consultationId
        ? stored
        : { consultation_id: consultationId, lines: {}, hotlines: [] };
    memory.lines[String(seq)] = {
      action: bot.action,
      urgent: bot.urgent === true,
      safety_check: bot.safety_check === true,
      suggestions: Array.isArray(bot.suggestions) ? bot.suggestions : [],
      links: Array.isArray(bot.links) ? bot.links : [],
    };
    const seqs = Object.keys(memory.lines).map(Number).sort((a, b) => a - b);
    for (const old of seqs.slice(0, Math.max(0, seqs.length - MAX_REMEMBERED_BOT_LINES))) delete memory.lines[String(old)];
    if (Array.isArray(bot.hotlines) && bot.hotlines.length) memory.hotlines = bot.hotlines;
    this.set("bot", JSON.stringify(memory));
  }

  forgetBot() {
    this.set("bot", null);
  }
}
