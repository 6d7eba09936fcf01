// The wrap-up an agent is typing, kept in this tab until it is saved, so a reload loses nothing.
//
// Why: an agent chose a result, typed a note and pressed reload: both came back empty (session 15). Each change
// is written to sessionStorage under the agent's id and the case's id, and put back when the same case's wrap-up
// shows again. A save sent but not yet acknowledged is marked: if the page dies then, the next page says so — the
// record is either stored (the case is no longer in hand) or the form comes back with a sentence asking to save
// it again; never lost silently.
// Why sessionStorage and not localStorage: the note is the agent's raw words about a resident, unmasked (the
// server masks it when it is saved). In localStorage it stayed on the computer after an expired session, a
// disabled account, a closed browser or an agent who never came back (session 15 review); sessionStorage goes
// with the tab. Even there a draft lives at most DRAFT_TTL_MS, and every draft goes when the save is
// acknowledged, when the case is no longer this agent's, when the login ends in any way (this tab's logout
// button, or access.revoked: logout anywhere, expiry, a disabled account, a changed password) and whenever the
// login page loads. Drafts an older page left in localStorage are removed on sight.

const PREFIX = "madoguchi.wrapup.";
export const DRAFT_TTL_MS = 12 * 60 * 60 * 1000; // a working day: an older draft is not put back, and is removed

function storage(kind = "sessionStorage") {
  try {
    return window[kind];
  } catch {
    return null; // storage refused (a locked-down browser): the form still works, without drafts
  }
}

function removeDrafts(store, expiredOnly = false) {
  if (!store) return;
  for (let i = store.length - 1; i >= 0; i--) {
    const key = store.key(i);
    if (key?.startsWith(PREFIX) && (!expiredOnly || expired(store.getItem(key)))) store.removeItem(key);
  }
}

function expired(raw) {
  try {
    const at = JSON.parse(raw || "{}").at;
    return typeof at !== "number" || Date.now() - at > DRAFT_TTL_MS || at > Date.now() + DRAFT_TTL_MS;
  } catch {
    return true;
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
    removeDrafts(storage("localStorage")); // left there by a page before session 15's review: raw notes
    removeDrafts(storage(), true);
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
    if (expired(raw)) {
      storage()?.removeItem(key);
      return null;
    }
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
      storage()?.setItem(key, JSON.stringify({ ...draft, at: Date.now() }));
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
        const raw = store.getItem(key);
        if (!expired(raw) && JSON.parse(raw || "{}").sending) found.push(key.slice(mine.length));
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

/** Remove every wrap-up draft in this tab, and any an older page left in this browser (the login ended, or the
 * login page loaded: the next person at this computer sees none). */
export function forgetAllDrafts() {
  removeDrafts(storage());
  removeDrafts(storage("localStorage"));
}
