// A kiosk stands alone: when its page's modules fail to load, nobody is there to press reload. A mobile router
// changing networks (or an address change on the link) fails every request in flight with ERR_NETWORK_CHANGED,
// and a module graph with one missing file never runs: the kiosk would say 「接続しています…」 for ever. This
// classic script (loaded before the page's module, no inline script under the CSP) reloads the page when its
// module fails, after 2 s, then 4, 8 … up to 60 s while it keeps failing; a page that loaded resets the count.
(function () {
  "use strict";
  var KEY = "madoguchi.pageboot.tries";
  var failed = false;
  function tries() {
    try {
      return Number(window.sessionStorage.getItem(KEY) || 0);
    } catch (e) {
      return 0;
    }
  }
  function remember(value) {
    try {
      if (value === null) window.sessionStorage.removeItem(KEY);
      else window.sessionStorage.setItem(KEY, String(value));
    } catch (e) {
      /* storage refused: retry at the first pace */
    }
  }
  window.addEventListener(
    "error",
    function (event) {
      var el = event.target;
      if (failed || !el || el.tagName !== "SCRIPT" || el.type !== "module") return;
      failed = true;
      var n = tries();
      remember(n + 1);
      document.body && document.body.setAttribute("data-reloading", "true");
      window.setTimeout(function () {
        window.location.reload();
      }, Math.min(60000, 2000 * Math.pow(2, n)));
    },
    true,
  );
  window.addEventListener("load", function () {
    if (!failed) remember(null);
  });
})();
