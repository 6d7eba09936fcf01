// Translation for every page: one flat catalog per language in /static/i18n/<lang>.json.
//
// Why: all visible text must be Japanese first and switchable, and kept in one place. The server renders the
// first paint from the same catalogs (madoguchi/ui.py) and embeds the page's catalog in
// <script type="application/json" id="i18n-catalog">, so no text flashes in the wrong language. Elements with
// data-i18n="key" get their text from the catalog; data-i18n-placeholder / -aria-label / -title set those
// attributes. Dynamic text calls t(key, params) and re-renders on the "i18n:change" event.

export const DEFAULT_LANGUAGE = "ja";
// The languages the pages are offered in come from the server's one table (madoguchi/domain/languages.py),
// rendered into <meta name="languages" content="ja en">; the switch and ?lang= follow it.
export const SUPPORTED_LANGUAGES = (document.querySelector('meta[name="languages"]')?.content || DEFAULT_LANGUAGE)
  .split(" ")
  .filter(Boolean);

const catalogs = new Map();
let current = DEFAULT_LANGUAGE;

function embeddedCatalog() {
  const node = document.getElementById("i18n-catalog");
  if (!node) return null;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return null;
  }
}

// Texts this page puts over the catalogs, by language (the municipality's route names: madoguchi/ui.py).
function pageTexts() {
  const node = document.getElementById("i18n-page-texts");
  if (!node) return {};
  try {
    return JSON.parse(node.textContent) || {};
  } catch {
    return {};
  }
}

const overrides = pageTexts();

function withPageTexts(lang, catalog) {
  return { ...catalog, ...(overrides[lang] || {}) };
}

function languageFromPage() {
  const fromQuery = new URLSearchParams(window.location.search).get("lang");
  if (SUPPORTED_LANGUAGES.includes(fromQuery)) return fromQuery;
  const fromHtml = document.documentElement.lang;
  return SUPPORTED_LANGUAGES.includes(fromHtml) ? fromHtml : DEFAULT_LANGUAGE;
}

async function fetchCatalog(lang) {
  if (catalogs.has(lang)) return catalogs.get(lang);
  const response = await fetch(`/static/i18n/${lang}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`catalog ${lang}: HTTP ${response.status}`);
  const catalog = withPageTexts(lang, await response.json());
  catalogs.set(lang, catalog);
  return catalog;
}

// Browser language tags → page languages, beyond the tag's first part ("en-GB" → en, "pt-BR" → pt): Filipino is
// served by the Tagalog catalog; Chinese is written in simplified characters (zh-Hans).
const BROWSER_ALIASES = { fil: "tl" };

/** The first of the browser's languages (navigator.languages, most wanted first) that the pages offer, or null. */
export function browserLanguage(wanted = navigator.languages || [navigator.language]) {
  for (const tag of wanted || []) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    const code = BROWSER_ALIASES[base] || base;
    if (SUPPORTED_LANGUAGES.includes(code)) return code;
  }
  return null;
}

/** The current language code ("ja", "easy-ja", "en", …). */
export function language() {
  return current;
}

// What the one-tap switch beside the language picker offers on a Japanese page (<meta name="language-switch">,
// from the same table); on any other page it offers Japanese, so a resident is always one tap from either.
const SWITCH_LANGUAGE = document.querySelector('meta[name="language-switch"]')?.content || DEFAULT_LANGUAGE;

/** The language the one-tap switch offers: English (the table's switch language) from Japanese, else Japanese. */
export function switchLanguage() {
  const wanted = current === DEFAULT_LANGUAGE ? SWITCH_LANGUAGE : DEFAULT_LANGUAGE;
  return SUPPORTED_LANGUAGES.includes(wanted) ? wanted : DEFAULT_LANGUAGE;
}

/** Text for key in the current language, falling back to Japanese, then to the key. {name} fills params. */
export function t(key, params = {}) {
  const text = catalogs.get(current)?.[key] ?? catalogs.get(DEFAULT_LANGUAGE)?.[key];
  if (text === undefined) {
    console.warn(`i18n: no text for ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A t() for another language than the page's (a line sent to a resident in the resident's language), falling back
 * to Japanese, then to the key; loads that language's catalog once. */
export async function translatorFor(lang) {
  const wanted = SUPPORTED_LANGUAGES.includes(lang) ? lang : DEFAULT_LANGUAGE;
  const catalog = await fetchCatalog(wanted);
  const fallback = wanted === DEFAULT_LANGUAGE ? catalog : await fetchCatalog(DEFAULT_LANGUAGE).catch(() => ({}));
  return (key, params = {}) => {
    const text = catalog[key] ?? fallback[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  };
}

/** Whether the catalogs have a text for key (current language or Japanese). */
export function hasText(key) {
  return (catalogs.get(current)?.[key] ?? catalogs.get(DEFAULT_LANGUAGE)?.[key]) !== undefined;
}

/** The first of keys that the catalogs know (newer texts with an older fallback); the last one otherwise. */
export function firstKnownKey(...keys) {
  return keys.find(hasText) ?? keys[keys.length - 1];
}

/** Translate every data-i18n element under root. */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [attribute, data] of [
    ["placeholder", "i18nPlaceholder"],
    ["aria-label", "i18nAriaLabel"],
    ["title", "i18nTitle"],
  ]) {
    for (const el of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      el.setAttribute(attribute, t(el.dataset[data]));
    }
  }
  document.documentElement.lang = current;
  // The body carries the BCP 47 tag (easy Japanese is Japanese text; zh-Hans picks Simplified glyphs); the
  // picker's buttons know each language's tag (madoguchi/domain/languages.py).
  const tag = document.querySelector(`[data-language="${current}"][data-tag]`)?.dataset.tag;
  if (tag) document.body.lang = tag;
}

/** Switch language, translate the page and tell dynamic parts to re-render. */
export async function setLanguage(lang) {
  if (!SUPPORTED_LANGUAGES.includes(lang)) lang = DEFAULT_LANGUAGE;
  await fetchCatalog(lang);
  if (lang !== DEFAULT_LANGUAGE) await fetchCatalog(DEFAULT_LANGUAGE).catch(() => null);
  current = lang;
  applyTranslations();
  document.dispatchEvent(new CustomEvent("i18n:change", { detail: { language: lang } }));
}

/** Load the page's language (embedded catalog first, no request needed) and translate the page. */
export async function initI18n() {
  const lang = languageFromPage();
  const embedded = embeddedCatalog();
  const embeddedLang = document.documentElement.lang;
  if (embedded && SUPPORTED_LANGUAGES.includes(embeddedLang)) catalogs.set(embeddedLang, withPageTexts(embeddedLang, embedded));
  try {
    await setLanguage(lang);
  } catch (err) {
    // The embedded catalog still works; keep the server-rendered text rather than showing keys.
    console.error("i18n: could not load catalog", err);
    if (catalogs.has(embeddedLang)) current = embeddedLang;
  }
}

/** "m:ss" or "h:mm:ss" for a number of seconds (queue waiting times on the console). */
export function formatClock(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
