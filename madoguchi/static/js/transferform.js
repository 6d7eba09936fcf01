// The transfer form beside the chat: the route list says, for each route, who could take the case there, so the
// agent does not send a resident into a void.
//
// Why: an agent transferred into a route nobody was on, and one transferred into a route only he covered got the
// case rung back to him "handed over from" himself. On opening, the form asks the server (transfer.options) how
// many others are on duty on each route now and how many members of staff could ever take the case there; each
// route in the list reads 「いま 2人」, 「いま 0人」 or 「あなただけ」 (short: a closed list shows one line), and the
// chosen route's line under the list says it whole: 「いま 受けられる人: 2人。すぐに その人に つながります。」 or
// 「いま だれも いません。住民の方は…待つことに なります。」. When nobody else could ever take it, the agent is told the case will come back to him,
// and only then is it sent with back_to_me (the server otherwise never offers it back to him).

import { routeName } from "./caselabels.js";
import { SEND } from "./events.js";
import { t } from "./i18n.js";
import { errorText, request } from "./net.js";

const $ = (id) => document.getElementById(id);

/** Whether, by the server's transfer.options row, nobody but this agent could ever take the case on the route:
 * said under the list, and then the case is sent with back_to_me (one reading of the row for both). */
function nobodyElse(row) {
  return Boolean(row) && row.staff === 0 && row.on_duty === 0;
}

/** One route's figures → [the short words beside the route, the sentence under the list when chosen, warn?]. */
function staffingOf(row) {
  if (!row) return null;
  if (nobodyElse(row)) {
    return ["console.transfer.staff_none", "console.transfer.back_to_you", true];
  }
  if (row.on_duty > 0) return ["console.transfer.on_duty", "console.transfer.will_ring", false];
  return ["console.transfer.on_duty_none", "console.transfer.will_wait", true];
}

export class TransferForm {
  /** socket; consultation() the case in hand; onDone(route) after the server took the transfer. */
  constructor({ socket, consultation, onDone }) {
    this.socket = socket;
    this.consultation = consultation;
    this.onDone = onDone;
    this.rows = new Map(); // route → {route, on_duty, staff}
    this.asked = 0; // the latest transfer.options asked, so a slow answer does not overwrite a newer one
    $("transfer").addEventListener("click", () => this.open());
    $("transfer-cancel").addEventListener("click", () => this.close());
    $("transfer-form").addEventListener("submit", (event) => this.submit(event));
    $("transfer-route").addEventListener("change", () => this.renderChoice());
    document.addEventListener("i18n:change", () => this.render());
  }

  async open() {
    $("transfer-form").hidden = false;
    $("transfer").setAttribute("aria-expanded", "true");
    $("transfer-route").focus();
    await this.refresh();
  }

  close() {
    $("transfer-form").hidden = true;
    $("transfer").setAttribute("aria-expanded", "false");
    $("transfer-form").reset();
    $("transfer-error").hidden = true;
    this.rows.clear();
    this.render();
  }

  /** Ask who could take the case on each route (again each time the form opens: people come and go). */
  async refresh() {
    const c = this.consultation();
    if (!c) return;
    const asked = ++this.asked;
    try {
      const ack = await request(this.socket, SEND.TRANSFER_OPTIONS, { consultation_id: c.id });
      if (asked !== this.asked) return;
      this.rows = new Map((ack.routes || []).map((row) => [row.route, row]));
    } catch {
      this.rows.clear(); // the form still works; it just cannot say who is there
    }
    this.render();
  }

  render() {
    for (const option of $("transfer-route").options) {
      if (!option.value) continue;
      const found = staffingOf(this.rows.get(option.value));
      const row = this.rows.get(option.value);
      option.textContent = found
        ? `${routeName(option.value)} — ${t(found[0], { count: row.on_duty })}`
        : routeName(option.value);
      option.dataset.staffing = found ? found[0].split(".").pop() : "";
    }
    this.renderChoice();
  }

  renderChoice() {
    const box = $("transfer-staffing");
    const row = this.rows.get($("transfer-route").value);
    const found = staffingOf(row);
    box.hidden = !found;
    box.dataset.warn = String(Boolean(found?.[2]));
    box.textContent = found ? t(found[1], { count: row.on_duty }) : "";
  }

  async submit(event) {
    event.preventDefault();
    const c = this.consultation();
    const route = $("transfer-route").value;
    const error = $("transfer-error");
    if (!c) return;
    if (!route) {
      error.textContent = t("console.transfer.choose_route");
      error.hidden = false;
      return;
    }
    const backToMe = nobodyElse(this.rows.get(route));
    $("transfer-submit").disabled = true;
    try {
      await request(this.socket, SEND.CONSULTATION_TRANSFER, {
        consultation_id: c.id,
        route,
        note: $("transfer-note").value,
        // the agent was told under the list that it comes back to him: nobody else could ever take it there
        back_to_me: backToMe,
      });
      this.close();
      this.onDone(route);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      $("transfer-submit").disabled = false;
    }
  }
}
