// The console's language: the agent's own choice, kept on this computer (staff consoles are personal desks;
// ?lang= in the address wins), and the picker that changes it.

import { language, setLanguage } from "./i18n.js";
import { LanguagePicker } from "./langpicker.js";

const LANGUAGE_KEY = "madoguchi.console.lang";

/** Switch to the stored choice (after initI18n) and set up the picker; `onError` shows a failed switch. */
export async function setUpConsoleLanguage(onError) {
  let stored = null;
  try {
    stored = localStorage.getItem(LANGUAGE_KEY);
  } catch {
    stored = null;
  }
  if (stored && stored !== language() && !new URLSearchParams(location.search).has("lang")) {
    await setLanguage(stored).catch(() => null);
  }
  return new LanguagePicker({
    onChange: (code) => {
      try {
        localStorage.setItem(LANGUAGE_KEY, code);
      } catch {
        /* storage disabled: the choice lasts until the page reloads */
      }
    },
    onError,
  });
}
