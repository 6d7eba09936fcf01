// The console's call-back list (data-testid="callback-list"): residents nobody could answer who left a number.
//
// Why a module of its own, loaded beside console.js: a call-back is work of its own kind, not on the counter's
// queue; the list comes from GET /api/callbacks (madoguchi/agent_console/callbacks.py), polled every 15 s, and
// "called" (POST …/done with the session's CSRF token) deletes the number on the server. A case leaving the queue
// is how a call-back request shows on the counter (the case closes with reason "callback"): console.js says so
// ("queue:changed" on the document, at every queue.snapshot) and the list is asked again at once (at most once a
// second), so a request appears on an open console live, not only at the next poll or a reload; a resident who
// withdraws one sends the town's consoles a queue.snapshot too, so it goes from the list as soon. Times show in the
// municipality's zone (clock.js); numbers in their usual groups (numbers.js).

import { languageName } from "./caselabels.js"; // 「ネパール語」 as the queue says it, not the picker's 「नेपाली」
import { formatShortDayTime } from "./dates.js";
import { t } from "./i18n.js";
import { telHref } from "./hotlines.js";
import { formatPhone } from "./numbers.js";

const POLL_MS = 15_000;
const NUDGE_MS = 1_000; // the least time between two look-ups a queue change asks for
const list = document.getElementById("callback-list");
const empty = document.getElementById("callback-empty");
const csrf = document.querySelector('input[name="csrf_token"]')?.value || "";
let items = [];


function render() {
  list.replaceChildren(
    ...items.map((item) => {
      const li = document.createElement("li");
      li.className = "callback-item";
      li.dataset.callbackId = item.id;
      const phone = document.createElement("a");
      phone.className = "callback-number";
      phone.dataset.testid = "callback-number";
      phone.href = telHref(item.phone || "");
      phone.textContent = formatPhone(item.phone || ""); // 090-1234-5678, read aloud in its groups
      const about = document.createElement("span");
      about.className = "callback-about";
      about.textContent = t("console.callbacks.item", {
        route: t(`route.${item.route}`),
        language: languageName(item.language),
        when: formatShortDayTime(item.requested_at),
      });
      const where = document.createElement("span");
      where.className = "callback-where";
      where.textContent = item.booth_name || "";
      const done = document.createElement("button");
      done.type = "button";
      done.className = "btn btn-secondary";
      done.dataset.testid = "callback-done";
      done.textContent = t("console.callbacks.done");
      done.addEventListener("click", () => markDone(item.id, done));
      li.append(phone, about, where, done);
      return li;
    }),
  );
  empty.hidden = items.length > 0;
}

async function refresh() {
  try {
    const response = await fetch("/api/callbacks", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    items = (await response.json()).callbacks || [];
    render();
  } catch {
    // offline for a moment: the next poll tries again, the list on screen stays
  }
}

async function markDone(id, button) {
  button.disabled = true;
  try {
    const response = await fetch(`/api/callbacks/${encodeURIComponent(id)}/done`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
    });
    // 404: done by someone else meanwhile; 403: no longer one of this agent's routes. Either way not theirs to do.
    if (response.ok || response.status === 404 || response.status === 403) items = items.filter((item) => item.id !== id);
    render();
  } finally {
    button.disabled = false;
  }
}

let nudged = null;
/** The queue changed: look again soon (a burst of changes makes one look-up). */
function nudge() {
  if (nudged !== null) return;
  nudged = setTimeout(() => {
    nudged = null;
    refresh();
  }, NUDGE_MS);
}

if (list && empty) {
  document.addEventListener("i18n:change", render);
  document.addEventListener("queue:changed", nudge);
  refresh();
  setInterval(refresh, POLL_MS);
}
