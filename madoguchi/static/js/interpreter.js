// Interpreters on the console: the agent of a call calls one in (通訳を よぶ), and a member of staff who is asked
// joins the call's chat as its interpreter.
//
// Why: routing offers a resident whose language nobody on duty speaks to an agent of the route who does not speak
// it (docs/architecture.md, "interpreter overflow"); the offer and the call view say so plainly, and this module
// gives the agent the way out the protocol already had (interpreter.invite). The list comes from the server
// (interpreter.options: on duty for the town, speaking the resident's language, free first), and the state of
// the invitation is said on both sides: the agent reads 「…に 通訳を たのみました」, then joined, left or not
// come; the invitee gets 参加する / ことわる; the resident's screen says an interpreter is being called
// (interpreter.called) and when they join (booth.js, resident.js). The console does not join a three-way
// picture and sound yet: the interpreter takes part in the call's chat.

import { languageName, routeName } from "./caselabels.js";
import { RECEIVE, SEND } from "./events.js";
import { language as uiLanguage, t } from "./i18n.js";
import { errorText, newClientId, nowSeconds, request } from "./net.js";

const $ = (id) => document.getElementById(id);

/** The activity words a row shows (the supervisor page's words for the same states). */
const ACTIVITY_KEYS = Object.freeze({
  available: "console.status.now.available",
  away: "console.status.now.away",
  ringing: "console.status.now.ringing",
  busy: "console.status.now.busy",
  wrap_up: "console.status.now.wrap_up",
});

/** A language's name for the console: the catalogs' (lang.<code>), else the browser's Intl.DisplayNames in the
 * console's language, else the tag itself. */
function spokenName(code, lang) {
  const named = languageName(code);
  if (named !== code) return named;
  try {
    return new Intl.DisplayNames([lang === "easy-ja" ? "ja" : lang], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

/** The agent's side: the need line, the 通訳を よぶ button, the list and each invitation's state (two may be out:
 * each is followed apart, so one who declines does not hide the other still being asked). */
export class InterpreterCall {
  /** socket; consultation() the case in hand ({id, language, interpreter, ...}) or null; me() this agent's staff
   * id; banner: where a decline of an invitation this agent sent for a call not in hand is said. */
  constructor({ socket, consultation, me = () => null, banner = null }) {
    this.socket = socket;
    this.consultation = consultation;
    this.me = me;
    this.banner = banner;
    this.rows = [];
    this.phoneLine = null; // the town's telephone interpretation service (interpreter.options' phone_line) or null
    // staffId -> {staffId, name, expiresAt, state: "invited"|"joined"|"left"|"expired"|"declined", consultationId, timer}
    this.invitations = new Map();
    $("interpreter-invite").addEventListener("click", () => this.open());
    $("interpreter-close").addEventListener("click", () => this.close());
    socket.on(RECEIVE.PARTICIPANT_JOINED, (message) => this.changed(message, "joined"));
    socket.on(RECEIVE.PARTICIPANT_LEFT, (message) => this.changed(message, "left"));
    socket.on(RECEIVE.INTERPRETER_DECLINED, (message) => this.declined(message));
    document.addEventListener("i18n:change", () => this.render());
  }

  /** The invitee said ことわる: said by name (they will not come, another may be called). An invitation this agent
   * sent for a call they are not in (a supervisor's) is said in the banner. */
  declined(message) {
    const invited = this.invitations.get(message.staff_id);
    if (invited && invited.consultationId === message.consultation_id && invited.state === "invited") {
      clearTimeout(invited.timer);
      invited.state = "declined";
      if (message.name) invited.name = message.name;
      this.render();
      return;
    }
    if (message.by && message.by === this.me() && this.banner) {
      this.banner.show(t("console.interpreter.declined", { name: message.name || message.staff_id }));
    }
  }

  /** A new case in the call view (or none): the need line follows it; an old case's invitations go. */
  follow() {
    const c = this.consultation();
    for (const [staffId, invited] of this.invitations) {
      if (invited.consultationId !== c?.id) {
        clearTimeout(invited.timer);
        this.invitations.delete(staffId);
      }
    }
    if (!c) this.close();
    this.render();
  }

  async open() {
    const c = this.consultation();
    if (!c) return;
    $("interpreter-panel").hidden = false;
    $("interpreter-invite").setAttribute("aria-expanded", "true");
    try {
      const ack = await request(this.socket, SEND.INTERPRETER_OPTIONS, { consultation_id: c.id });
      this.rows = ack.staff || [];
      this.phoneLine = ack.phone_line || null;
    } catch (err) {
      this.rows = [];
      this.phoneLine = null;
      this.say(errorText(err));
    }
    this.render();
    $("interpreter-panel").scrollIntoView?.({ block: "nearest" }); // on a narrow screen it opens below the chat
  }

  close() {
    $("interpreter-panel").hidden = true;
    $("interpreter-invite").setAttribute("aria-expanded", "false");
  }

  async invite(row) {
    const c = this.consultation();
    if (!c) return;
    try {
      const ack = await request(this.socket, SEND.INTERPRETER_INVITE, { consultation_id: c.id, staff_id: row.staff_id });
      const before = this.invitations.get(row.staff_id);
      if (before) clearTimeout(before.timer);
      const invited = { staffId: row.staff_id, name: row.name, expiresAt: Number(ack.expires_at), state: "invited", consultationId: c.id };
      const left = Math.max(0, invited.expiresAt - nowSeconds());
      invited.timer = setTimeout(() => this.expire(row.staff_id), left * 1000 + 500);
      this.invitations.delete(row.staff_id); // the newest last
      this.invitations.set(row.staff_id, invited);
      this.close();
    } catch (err) {
      this.say(errorText(err));
      return;
    }
    this.render();
  }

  expire(staffId) {
    const invited = this.invitations.get(staffId);
    if (invited?.state === "invited") invited.state = "expired";
    this.render();
  }

  /** Whether a chat line's writer is an interpreter called in to this call (console.js labels their lines). */
  isInterpreter(agentId) {
    const invited = agentId ? this.invitations.get(agentId) : null;
    return Boolean(invited) && invited.state !== "invited" && invited.state !== "declined";
  }

  changed(message, how) {
    for (const invited of this.invitations.values()) {
      if (message.consultation_id !== invited.consultationId) continue;
      if (message.participant !== `agent:${invited.staffId}`) continue;
      if (how === "joined" && message.role !== "interpreter") return;
      invited.state = how;
      this.render();
      return;
    }
  }

  /** The town's telephone interpretation service: its name, a tel: link with the number, its hours and languages
   * (in the console's language; a language the catalogs do not name is named by the browser). */
  renderPhone() {
    const line = this.phoneLine;
    $("interpreter-phone").hidden = !line;
    if (!line) return;
    const lang = uiLanguage();
    const pick = (texts) => texts?.[lang] || texts?.ja || "";
    $("interpreter-phone-name").textContent = pick(line.name);
    const call = $("interpreter-phone-call");
    call.href = `tel:${line.tel}`;
    call.textContent = t("console.interpreter.phone_call", { number: line.number });
    $("interpreter-phone-hours").textContent = t("console.interpreter.phone_hours", { hours: pick(line.hours) });
    const names = (line.languages || []).map((code) => spokenName(code, lang));
    const separator = ["ja", "easy-ja", "zh"].includes(lang) ? "、" : ", ";
    $("interpreter-phone-languages").textContent = t("console.interpreter.phone_languages", { languages: names.join(separator) });
  }

  say(text) {
    const status = $("interpreter-status");
    status.hidden = !text;
    status.textContent = text || "";
  }

  render() {
    const c = this.consultation();
    const language = languageName(c?.language || "ja");
    const need = $("call-interpreter-need");
    need.hidden = !c?.interpreter;
    need.textContent = c?.interpreter ? t("console.call.interpreter_need", { language }) : "";
    $("interpreter-invite").classList.toggle("btn-primary", Boolean(c?.interpreter));
    $("interpreter-invite").classList.toggle("btn-secondary", !c?.interpreter);
    $("interpreter-heading").textContent = t("console.interpreter.heading", { language });
    const list = $("interpreter-options");
    list.replaceChildren(
      ...this.rows.map((row) => {
        const item = document.createElement("li");
        item.className = "interpreter-option";
        const who = document.createElement("span");
        who.className = "interpreter-name";
        who.textContent = row.name;
        const activity = document.createElement("span");
        activity.className = "interpreter-activity";
        activity.dataset.activity = row.activity;
        activity.textContent = t(ACTIVITY_KEYS[row.activity] || "console.status.now.away");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-primary";
        button.dataset.testid = "interpreter-option";
        button.dataset.staffId = row.staff_id;
        button.textContent = t("console.interpreter.invite");
        button.addEventListener("click", () => this.invite(row));
        item.append(who, activity, button);
        return item;
      }),
    );
    $("interpreter-none").hidden = this.rows.length > 0;
    $("interpreter-none").textContent = t("console.interpreter.none", { language });
    this.renderPhone();
    // each invitation's state in its own sentence, the newest last; data-state: the newest one's
    const all = [...this.invitations.values()];
    const status = $("interpreter-status");
    if (all.length) {
      status.dataset.state = all[all.length - 1].state;
      this.say(all.map((invited) => t(`console.interpreter.${invited.state}`, { name: invited.name })).join("\n"));
    } else if (status.dataset.state) {
      delete status.dataset.state;
      this.say("");
    }
  }
}

/** The invitee's side: 参加する / ことわる, then the call's chat as its interpreter until they leave or it ends. */
export class InterpreterDesk {
  constructor({ socket, banner }) {
    this.socket = socket;
    this.banner = banner;
    this.invite = null; // the interpreter.invite payload
    this.joined = null; // the consultation id interpreted now
    socket.on(RECEIVE.INTERPRETER_INVITE, (message) => this.invited(message));
    socket.on(RECEIVE.INTERPRETER_WITHDRAWN, (message) => this.withdrawn(message));
    socket.on(RECEIVE.CHAT_MESSAGE, (message) => this.line(message));
    socket.on(RECEIVE.CHAT_REDACT, (message) => this.redact(message));
    socket.on(RECEIVE.CALL_END, (message) => this.ended(message));
    $("interpreter-join").addEventListener("click", () => this.join());
    $("interpreter-dismiss").addEventListener("click", () => this.decline());
    $("interpreter-leave").addEventListener("click", () => this.leave());
    $("interpreter-chat-form").addEventListener("submit", (event) => this.send(event));
    document.addEventListener("i18n:change", () => this.render());
  }

  invited(message) {
    if (this.joined) return; // one call at a time
    this.invite = message;
    clearTimeout(this.timer);
    const left = Math.max(0, Number(message.expires_at) - nowSeconds());
    this.timer = setTimeout(() => !this.joined && this.reset(), left * 1000);
    $("interpreter-chat-log").replaceChildren();
    this.render();
  }

  async join() {
    const invite = this.invite;
    if (!invite) return;
    $("interpreter-join").disabled = true;
    try {
      await request(this.socket, SEND.CONSULTATION_JOIN, { consultation_id: invite.consultation_id, role: "interpreter" });
      this.joined = invite.consultation_id;
    } catch (err) {
      this.banner.show(errorText(err));
      this.reset();
      return;
    } finally {
      $("interpreter-join").disabled = false;
    }
    this.render();
  }

  /** ことわる: the server ends the invitation and tells the call (the agent: not coming; the resident: no longer
   * being called). Gone from this screen at once, whatever the answer (an invitation that ran out meanwhile). */
  async decline() {
    const invite = this.invite;
    this.reset();
    if (!invite) return;
    try {
      await request(this.socket, SEND.INTERPRETER_DECLINE, { consultation_id: invite.consultation_id });
    } catch (err) {
      if (err.code !== "not_invited" && err.code !== "not_found") this.banner.show(errorText(err));
    }
  }

  async leave() {
    const id = this.joined;
    if (!id) return;
    try {
      await request(this.socket, SEND.CONSULTATION_LEAVE, { consultation_id: id });
    } catch (err) {
      if (err.code !== "invalid_state" && err.code !== "not_found") this.banner.show(errorText(err));
    }
    this.reset();
  }

  /** The invitation ended with the call it was for (a transfer, the end) before they joined: 参加する goes, and
   * the console says why in a sentence. */
  withdrawn(message) {
    if (this.joined || message.consultation_id !== this.invite?.consultation_id) return;
    const key = message.reason === "transfer" ? "withdrawn_transfer" : "withdrawn";
    this.banner.show(t(`console.interpreter.${key}`));
    this.reset();
  }

  /** The call ended under the interpreter; after a transfer the case went to another desk without them. */
  ended(message) {
    if (!this.joined || message.consultation_id !== this.joined) return;
    if (message.reason === "transferred") this.banner.show(t("console.interpreter.transferred"));
    else if (message.reason !== "left") this.banner.show(t("console.interpreter.ended"));
    this.reset();
  }

  line(message) {
    if (!this.joined || message.consultation_id !== this.joined) return;
    const item = document.createElement("li");
    item.className = `chat-line from-${message.sender}`;
    item.dataset.seq = String(message.seq);
    const who = document.createElement("span");
    who.className = "chat-sender";
    // three take part: the resident, the agent who asked (by name) and this interpreter
    const byAgent = message.sender === "agent" && message.agent_id === this.invite?.by;
    if (message.sender === "resident") who.textContent = t("console.chat.resident");
    else if (byAgent) who.textContent = this.invite.by_name || this.invite.by;
    else who.textContent = t("console.interpreter.sender");
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = message.text;
    item.append(who, text);
    $("interpreter-chat-log").append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  /** `chat.redact`: earlier lines masked after they were shown take their stored text. */
  redact(message) {
    if (!this.joined || message.consultation_id !== this.joined) return;
    for (const line of Array.isArray(message.lines) ? message.lines : []) {
      const shown = $("interpreter-chat-log").querySelector(`li[data-seq="${Number(line?.seq)}"] .chat-text`);
      if (shown) shown.textContent = String(line.text ?? "");
    }
  }

  async send(event) {
    event.preventDefault();
    const input = $("interpreter-chat-input");
    const text = input.value.trim();
    if (!text || !this.joined) return;
    try {
      await request(this.socket, SEND.CHAT_SEND, { consultation_id: this.joined, text, client_id: newClientId() });
      input.value = "";
    } catch (err) {
      this.banner.show(errorText(err));
    }
  }

  reset() {
    clearTimeout(this.timer);
    this.invite = null;
    this.joined = null;
    this.render();
  }

  render() {
    const invite = this.invite;
    const panel = $("interpreter-invited");
    panel.hidden = !invite;
    panel.dataset.state = this.joined ? "joined" : "asked";
    if (!invite) return;
    const language = languageName(invite.language || "ja");
    $("interpreter-invited-text").textContent = this.joined
      ? t("console.interpreter.interpreting", { language })
      : t("console.interpreter.request", { name: invite.by_name || invite.by, language, route: routeName(invite.route || "") });
    for (const id of ["interpreter-join", "interpreter-dismiss"]) $(id).hidden = Boolean(this.joined);
    for (const id of ["interpreter-leave", "interpreter-chat"]) $(id).hidden = !this.joined;
  }
}
