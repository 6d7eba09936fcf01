// The console's live queue (queue.snapshot): one line per waiting case, urgent ones marked, the time waited
// ticking from the server's waited_s (so the agent's clock does not matter), kept in waitclock.js so that the
// ringing offer shows the same figure for the same resident.

import { languageName, placeText, routeName } from "./caselabels.js";
import { formatClock, t } from "./i18n.js";
import { noteWaited, waitedFor } from "./waitclock.js";

const $ = (id) => document.getElementById(id);

export class QueueList {
  constructor() {
    this.items = []; // QueueItem payloads
  }

  /** A queue.snapshot arrived. */
  update(message) {
    this.items = Array.isArray(message.items) ? message.items : [];
    for (const item of this.items) noteWaited(item.consultation_id, item.waited_s || 0);
    this.render();
  }

  render() {
    const rows = this.items.map((item) => row(item));
    $("queue-list").replaceChildren(...rows);
    $("queue-empty").hidden = rows.length > 0;
    $("queue-count").textContent = rows.length ? t("console.queue.count", { count: rows.length }) : "";
  }
}

function row(item) {
  const li = document.createElement("li");
  li.className = "queue-item";
  li.dataset.consultationId = item.consultation_id;
  li.dataset.route = item.route;
  if (item.urgent) li.classList.add("urgent");
  const head = document.createElement("div");
  head.className = "q-route";
  if (item.urgent) {
    const urgent = document.createElement("span");
    urgent.className = "q-urgent";
    urgent.textContent = t("console.queue.urgent");
    head.append(urgent);
  }
  head.append(routeName(item.route));
  if (item.source_count > 1) {
    // several web chats from one connection: possibly a flood (only the first urgent one is put ahead)
    const source = document.createElement("span");
    source.className = "q-source";
    source.dataset.testid = "queue-source-count";
    source.textContent = t("console.queue.source_count", { count: item.source_count });
    head.append(source);
  }
  const place = document.createElement("div");
  place.className = "q-place";
  place.textContent = placeText(item);
  const meta = document.createElement("div");
  meta.className = "q-meta";
  const waited = document.createElement("span");
  waited.className = "q-waited";
  waited.dataset.testid = "queue-waited";
  waited.textContent = t("console.queue.waited", { time: formatClock(waitedFor(item.consultation_id)) });
  meta.append(languageName(item.language || "ja"), " · ", waited);
  if (item.resident_away) {
    // the resident's page is closed for now: not offered, and gone from the list when the grace period ends
    const away = document.createElement("span");
    away.className = "q-away";
    away.dataset.testid = "queue-away";
    away.textContent = t("console.queue.away");
    meta.append(" · ", away);
  }
  li.append(head, place, meta);
  return li;
}
