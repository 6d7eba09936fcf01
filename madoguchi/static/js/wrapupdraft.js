// The wrap-up an agent is typing, kept in this browser until it is saved, so a reload or a crash loses nothing.
//
// Why: an agent chose a result, typed a note and pressed reload (or the browser died): both came back empty
// (session 15). Each change is written to localStorage (it outlives a crash; sessionStorage may not) under the
// agent's id and the case's id, and put back when the same case's wrap-up shows again. A save sent but not yet
// acknowledged is marked: if the page dies then, the next page says so — the record is either stored (the case
// is no longer in hand) or the form comes back with a sentence asking to save it again; never lost silently.
// Drafts go when the save is acknowledged, when the case is no longer this agent's, and at logout (this tab's
// button, or access.revoked session_ended from a logout anywhere): another agent at the same computer never
// finds a note of someone else's case.

const PREFIX = "madoguchi.wrapup.";

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (a locked-down browser): the form still works, without drafts
  }
}

function keyOf(agentId, consultationId) {
  return `${PREFIX}${agentId}.${consultationId}`;
}

export class WrapUpDraft {
  /** agentId() and consultationId() say whose draft; fields: {disposition, note} (a select and a textarea). */
  constructor({ agentId, consultationId, fields }) {
    this.agentId = agentId;
    this.consultationId = consultationId;
    this.fields = fields;
    for (const field of Object.values(fields)) {
      field.addEventListener("input", () => this.keep());
      field.addEventListener("change", () => this.keep());
    }
  }

  key() {
    const agent = this.agentId();
    const consultation = this.consultationId();
    return agent && consultation ? keyOf(agent, consultation) : null;
  }

  read() {
    const key = this.key();
    const raw = key ? storage()?.getItem(key) : null;
    if (!raw) return null;
    try {
      return JSON.parse(raw);
    } catch {
      return null;
    }
  }

  write(draft) {
    const key = this.key();
    if (!key) return;
    try {
      storage()?.setItem(key, JSON.stringify(draft));
    } catch {
      // storage full or refused: the form keeps what is typed on this page
    }
  }

  /** Write what the form holds now (on every change). */
  keep({ sending = false } = {}) {
    const disposition = this.fields.disposition.value;
    const note = this.fields.note.value;
    if (!disposition && !note && !sending) {
      this.clear();
      return;
    }
    this.write({ disposition, note, sending });
  }

  /** A save is on its way (sending) or was refused (not sending): the mark a dead page leaves. */
  sending(flag) {
    this.keep({ sending: flag });
  }

  /** Put this case's draft back into an empty form; returns the draft (its `sending` says a save was in flight). */
  restore() {
    const draft = this.read();
    if (!draft) return null;
    const { disposition, note } = this.fields;
    if (!disposition.value && draft.disposition) disposition.value = draft.disposition;
    if (!note.value && draft.note) note.value = draft.note;
    return draft;
  }

  clear() {
    const key = this.key();
    if (key) storage()?.removeItem(key);
  }

  /** This agent's drafts whose save was in flight, other than the case in hand: saved or not, the agent is told. */
  unsettled(exceptId) {
    const agent = this.agentId();
    const store = storage();
    if (!agent || !store) return [];
    const mine = `${PREFIX}${agent}.`;
    const found = [];
    for (let i = store.length - 1; i >= 0; i--) {
      const key = store.key(i);
      if (!key?.startsWith(mine) || key === `${mine}${exceptId}`) continue;
      try {
        if (JSON.parse(store.getItem(key) || "{}").sending) found.push(key.slice(mine.length));
      } catch {
        // not ours to read: leave it
      }
    }
    return found;
  }

  forget(consultationId) {
    const agent = this.agentId();
    if (agent) storage()?.removeItem(keyOf(agent, consultationId));
  }
}

/** Remove every wrap-up draft in this browser (logout: the next person at this computer sees none). */
export function forgetAllDrafts() {
  const store = storage();
  if (!store) return;
  for (let i = store.length - 1; i >= 0; i--) {
    const key = store.key(i);
    if (key?.startsWith(PREFIX)) store.removeItem(key);
  }
}
