// The language controls of the kiosk, the resident chat and the console (markup: templates/_language.html).
//
// Why a picker and a switch: nine languages are too many to go round with one button, so the globe button
// (data-testid="language-picker") opens a panel of large buttons, each language named in its own script
// (data-testid="language-<code>"), which a resident recognises without reading the current one. The one-tap
// switch beside it (data-testid="language-switch") stays for the commonest move: English from Japanese, and back
// to Japanese from anything, so a wrong choice is always undone with one touch.

import { language, setLanguage, switchLanguage } from "./i18n.js";

export class LanguagePicker {
  /**
   * @param {{onChange?: (code: string) => void, onError?: (err: unknown) => void}} hooks
   *   onChange after the page is in the chosen language (remember it); onError when its catalog did not load.
   */
  constructor({ onChange = () => {}, onError = () => {} } = {}) {
    this.opener = document.getElementById("lang-picker");
    this.panel = document.getElementById("lang-panel");
    this.switchButton = document.getElementById("lang-switch");
    this.onChange = onChange;
    this.onError = onError;
    this.options = [...this.panel.querySelectorAll("[data-language]")];

    this.opener.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));
    document.getElementById("lang-panel-close").addEventListener("click", () => this.close());
    // a touch on the dimmed backdrop, outside the box, closes it like the close button
    this.panel.addEventListener("click", (event) => event.target === this.panel && this.close());
    this.panel.addEventListener("keydown", (event) => event.key === "Escape" && this.close());
    for (const option of this.options) option.addEventListener("click", () => this.choose(option.dataset.language));
    this.switchButton?.addEventListener("click", () => this.choose(switchLanguage()));
    document.addEventListener("i18n:change", () => this.mark());
    this.mark();
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  open() {
    this.mark();
    this.panel.hidden = false;
    this.opener.setAttribute("aria-expanded", "true");
    (this.options.find((option) => option.dataset.language === language()) || this.options[0])?.focus();
  }

  /** Close the panel (a no-op when it is closed). */
  close() {
    if (this.panel.hidden) return;
    const hadFocus = this.panel.contains(document.activeElement);
    this.panel.hidden = true;
    this.opener.setAttribute("aria-expanded", "false");
    if (hadFocus) this.opener.focus();
  }

  async choose(code) {
    try {
      await setLanguage(code);
      this.close();
      this.onChange(language());
    } catch (err) {
      this.onError(err);
    }
  }

  mark() {
    for (const option of this.options) option.setAttribute("aria-pressed", String(option.dataset.language === language()));
  }
}
