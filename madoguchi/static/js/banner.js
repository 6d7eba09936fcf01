// The notice strip at the top of every page: a message that hides itself after a while, or stays (sticky) until
// something replaces or hides it — e.g. "reconnecting…" stays for as long as the link is down.

const HIDE_AFTER_MS = 8000;

export class Banner {
  constructor(element, { defaultKind = null, hideAfterMs = HIDE_AFTER_MS } = {}) {
    this.element = element;
    this.defaultKind = defaultKind;
    this.hideAfterMs = hideAfterMs;
    this.timer = null;
  }

  show(text, { kind = this.defaultKind, sticky = false } = {}) {
    this.element.textContent = text;
    if (kind !== null) this.element.dataset.kind = kind;
    this.element.hidden = false;
    clearTimeout(this.timer);
    if (!sticky) this.timer = setTimeout(() => this.hide(), this.hideAfterMs);
  }

  hide() {
    clearTimeout(this.timer);
    this.element.hidden = true;
    this.element.textContent = "";
  }
}
