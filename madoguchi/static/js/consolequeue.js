// The console's live queue (queue.snapshot): one line per waiting case, urgent ones marked, the time waited
// ticking from the server's waited_s (so the agent's clock does not matter), kept in waitclock.js so that the
// ringing offer shows the same figure for the same resident. A snapshot lists the head of the queue (the cases
// served first, at most views.AGENT_QUEUE_ITEMS) and counts them all (total): the count is the whole queue, and a
// line under the list says how many more wait.

import { languageName, placeText, routeName } from "./caselabels.js";
import { formatClock, t } from "./i18n.js";
import { noteWaited, waitedFor } from "./waitclock.js";

const $ = (id) => document.getElementById(id);

export class QueueList {
  constructor() {
    this.items = []; // QueueItem payloads
    this.total = 0; // every case in the queue, listed or not
    this.bookingTime = () => null; // a booking code → its time today (console.js wires today's bookings in)
    document.addEventListener("bookings:change", () => this.items.length && this.render());
  }

  /** A queue.snapshot arrived. */
  update(message) {
    this.items = Array.isArray(message.items) ? message.items : [];
    this.total = Math.max(Number.isInteger(message.total) ? message.total : 0, this.items.length);
    for (const item of this.items) noteWaited(item.consultation_id, item.waited_s || 0);
    this.render();
  }

  render() {
    const rows = this.items.map((item) => row(item, this.bookingTime));
    $("queue-list").replaceChildren(...rows);
    $("queue-empty").hidden = rows.length > 0;
    const total = Math.max(this.total, rows.length);
    $("queue-count").textContent = total ? t("console.queue.count", { count: total }) : "";
    const more = $("queue-more");
    more.hidden = total <= rows.length;
    more.textContent = more.hidden ? "" : t("console.queue.more", { n: total - rows.length, shown: rows.length });
  }
}

function row(item, bookingTime) {
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
  if (item.booking) {
    // checked in with a booking at a kiosk: the agent sees it is the booked resident, and for which time
    const booked = document.createElement("span");
    booked.className = "q-booking";
    booked.dataset.testid = "queue-booking";
    const time = bookingTime(item.booking);
    booked.textContent = time ? t("console.queue.booking", { time }) : t("console.queue.booking_no_time");
    head.append(booked);
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
