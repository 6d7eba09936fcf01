// The booth's device token: it arrives once in the URL fragment (#token=..., never sent to the server in a
// request line or a Referer), is kept in localStorage per booth and removed from the address bar, so a kiosk that
// restarts opens straight into service.

/** The token from the fragment (kept for next time), else the one kept before; null when there is none. */
export function takeToken(boothId) {
  const key = `madoguchi.booth.${boothId}.token`;
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const fromFragment = fragment.get("token");
  if (fromFragment) {
    try {
      localStorage.setItem(key, fromFragment);
    } catch (err) {
      console.warn("booth: cannot store the device token", err);
    }
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromFragment;
  }
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
