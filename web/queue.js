// One queue: its settings and consumer, the R2 buckets that feed it, its live counts, and its messages, paged by keyset
// (newest or oldest first, by state, searched in their bodies); one message whole; sending,
// deleting, purging, pausing, resuming and flushing. Every action is an API call, so a refusal
// shows the API's own text.
import { api } from "./api.js";
import { live } from "./live.js";
import { bytes, confirmAction, count, duration, h, notify, time } from "./dom.js";
import { replayPanel } from "./dlq.js";

const kPageSize = 50;
const q = (name) => `/queues/${encodeURIComponent(name)}`;

function base64ToBytes(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }
function hex(bytesArray) {
  const lines = [];
  for (let i = 0; i < bytesArray.length; i += 16)
    lines.push([...bytesArray.slice(i, i + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" "));
  return lines.join("\n");
}

function messageDetail(queue, ref, onDeleted) {
  const panel = h("section", { class: "detail", "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"));
  api("GET", `${q(queue)}/flareq/messages/${encodeURIComponent(ref)}`).then((m) => {
    const body = m.content_type === "json" ? JSON.stringify(m.body, null, 2)
      : m.content_type === "text" ? m.body : null;
    const raw = base64ToBytes(m.body_base64);
    panel.replaceChildren(
      h("h2", {}, "Message ", h("code", {}, m.id)),
      h("dl", { class: "facts" },
        h("dt", {}, "State"), h("dd", {}, m.state),
        h("dt", {}, "Attempts"), h("dd", {}, String(m.attempts)),
        h("dt", {}, "Timestamp"), h("dd", {}, time(m.timestamp_ms)),
        h("dt", {}, "Visible at"), h("dd", {}, time(m.visible_at_ms)),
        h("dt", {}, "Content type"), h("dd", {}, m.content_type),
        h("dt", {}, "Size"), h("dd", {}, bytes(m.size)),
        h("dt", {}, "Came from"), h("dd", {}, m.origin_queue
          ? `${m.origin_queue} (dead-lettered${m.origin_attempts ? ` after ${m.origin_attempts} attempt${m.origin_attempts === 1 ? "" : "s"}` : ""})`
          : "sent to this queue"),
        m.last_error ? [h("dt", {}, "Last error"), h("dd", {}, h("pre", { class: "error-text" }, m.last_error))] : []),
      body !== null ? h("pre", { class: "body" }, body) : [
        h("h3", {}, "Hex"), h("pre", { class: "body" }, hex(raw)),
        h("h3", {}, "Base64"), h("pre", { class: "body" }, m.body_base64)],
      h("div", { class: "actions" },
        h("button", { class: "danger", onclick: async () => {
          if (!await confirmAction(`Delete message ${m.id} from queue '${queue}'? This cannot be undone.`)) return;
          try {
            const r = await api("POST", `${q(queue)}/messages/purge`, { refs: [{ ref: m.ref }] });
            notify(r.deleted ? "Message deleted" : "The message was already gone", "info");
            onDeleted();
          } catch (e) { notify(e.message); }
        } }, "Delete message")));
  }).catch((e) => panel.replaceChildren(h("p", { class: "error" }, e.message)));
  return panel;
}

function sendForm(queue, onSent) {
  const body = h("textarea", { name: "body", rows: 4, placeholder: '{"type": "welcome-email", "userId": 123}', required: true });
  const type = h("select", { name: "content_type" }, h("option", { value: "json" }, "json"), h("option", { value: "text" }, "text"));
  const delay = h("input", { name: "delay", type: "number", min: 0, max: 86400, value: 0 });
  const form = h("form", { class: "send", onsubmit: async (event) => {
    event.preventDefault();
    let message;
    if (type.value === "json") {
      try { message = JSON.parse(body.value); } catch (e) { notify(`The body is not JSON: ${e.message}`); return; }
    } else message = body.value;
    try {
      await api("POST", `${q(queue)}/messages`, { body: message, content_type: type.value, delay_seconds: Number(delay.value) });
      notify("Message sent", "info");
      body.value = "";
      onSent();
    } catch (e) { notify(e.message); }
  } },
  h("h2", {}, "Send a message"), body,
  h("div", { class: "row" }, h("label", {}, "Content type ", type), h("label", {}, "Delay (s) ", delay),
    h("button", { type: "submit", class: "primary" }, "Send")));
  return form;
}

// One row of the messages table; a click opens the message, its box selects it.
function messageRow(m, now, selected, open) {
  const box = h("input", { type: "checkbox", "aria-label": `select ${m.id}`, checked: selected.has(m.id), onclick: (e) => {
    e.stopPropagation();
    if (box.checked) selected.add(m.id); else selected.delete(m.id);
  } });
  return h("tr", { class: "message", "data-id": m.id, tabindex: 0, onclick: () => open(m) },
    h("td", {}, box), h("td", {}, h("code", {}, m.id.slice(0, 12) + "…")), h("td", {}, m.state), h("td", {}, String(m.attempts)),
    h("td", {}, time(m.timestamp_ms)), h("td", {}, m.visible_at_ms <= now ? "now" : `in ${duration(m.visible_at_ms - now)}`),
    h("td", {}, m.origin_queue ? `${m.origin_queue}${m.origin_attempts ? ` · failed ${m.origin_attempts}×` : ""}` : ""),
    h("td", { class: "preview" }, m.preview));
}

// The queue's counts and counters, and what flareq faults injected into it.
function countsLine(queue) {
  const b = queue.backlog, c = queue.counters;
  const injected = c.injected_failures + c.injected_crashes + c.injected_latency + c.injected_push_errors;
  return `${count(b.ready)} ready · ${count(b.delayed)} delayed · ${count(b.leased)} leased · ${bytes(b.bytes)}` +
    ` — received ${count(c.received)} · acked ${count(c.acked)} · retried ${count(c.retried)} · dead-lettered ${count(c.dead_lettered)}` +
    (injected > 0
      ? ` — injected by flareq faults: ${count(c.injected_failures)} failures · ${count(c.injected_crashes)} handler crashes · ` +
        `${count(c.injected_latency)} held back · ${count(c.injected_push_errors)} pushes refused` : "");
}

// The queue's settings and its consumer, in one line.
function settingsLine(queue) {
  const s = queue.settings, cons = queue.consumer;
  return `delivery ${s.delivery_paused ? "paused" : "active"} · delivery_delay ${s.delivery_delay}s · retention ${duration(s.message_retention_period * 1000)} · consumer: ` +
    (cons ? `${cons.type === "http_pull" ? "HTTP pull" : cons.delivery || "no handler running here"} · batch ${cons.settings.batch_size} · retries ${cons.settings.max_retries}` +
      (cons.dead_letter_queue ? ` · dead letters to ${cons.dead_letter_queue}` : "") : "none");
}

// The R2 buckets whose event notification rules send to the queue, with those rules; empty
// when none does.
function r2Feeds(name) {
  const panel = h("ul", { class: "feeds" });
  (async () => {
    const queue = await api("GET", q(name));
    const buckets = queue.producers.filter((p) => p.type === "r2_bucket").map((p) => p.bucket_name);
    const items = [];
    for (const bucket of buckets) {
      const config = await api("GET", `/event_notifications/r2/${encodeURIComponent(bucket)}/configuration`);
      for (const rule of config.queues.find((x) => x.queueId === queue.queue_id)?.rules ?? [])
        items.push(h("li", { "data-rule": rule.ruleId },
          "Fed by R2 bucket ", h("code", {}, bucket), `: ${rule.actions.join(", ")} · prefix ${rule.prefix ? `"${rule.prefix}"` : "(all)"}` +
          ` · suffix ${rule.suffix ? `"${rule.suffix}"` : "(all)"}${rule.description ? ` · ${rule.description}` : ""} · rule ${rule.ruleId}`));
    }
    panel.replaceChildren(...items);
  })().catch((e) => panel.replaceChildren(h("li", { class: "error" }, e.message)));
  return panel;
}

// The queue's messages: filters, one page of rows, the pager, and the open message. `load(true)`
// goes back to the first page.
function messageList(name, selected) {
  const messages = h("tbody");
  const order = h("select", { name: "order" }, h("option", { value: "oldest" }, "Oldest first"), h("option", { value: "newest" }, "Newest first"));
  const state = h("select", { name: "state" }, ["", "ready", "delayed", "leased"].map((s) => h("option", { value: s }, s || "Every state")));
  const search = h("input", { name: "search", type: "search", placeholder: "Text in the body" });
  const pager = h("p", { class: "pager" });
  const detail = h("div");
  const cursors = [""];  // the cursor of each page shown so far, for "previous"

  async function load(first) {
    if (first) cursors.length = 1;
    const params = new URLSearchParams({ order: order.value, limit: kPageSize });
    if (state.value) params.set("state", state.value);
    if (search.value) params.set("search", search.value);
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    let page;
    try {
      page = await api("GET", `${q(name)}/flareq/messages?${params}`);
    } catch (e) {
      messages.replaceChildren(h("tr", {}, h("td", { colspan: 8, class: "error" }, e.message)));
      return;
    }
    const now = live.overview?.clock.now_ms ?? Date.now();
    const open = (m) => detail.replaceChildren(messageDetail(name, m.ref, () => load(true)));
    messages.replaceChildren(...page.messages.map((m) => messageRow(m, now, selected, open)));
    if (!page.messages.length)
      messages.append(h("tr", {}, h("td", { colspan: 8, class: "muted" },
        page.next ? `No match in the ${count(page.scanned)} messages searched so far` : "No messages")));
    const previous = h("button", { disabled: cursors.length === 1, onclick: () => { cursors.pop(); load(false); } }, "← Previous");
    const next = h("button", { disabled: !page.next, onclick: () => { cursors.push(page.next); load(false); } }, "Next →");
    pager.replaceChildren(previous, ` page ${cursors.length} `, next);
  }
  for (const control of [order, state]) control.addEventListener("change", () => load(true));
  search.addEventListener("input", () => { clearTimeout(search.timer); search.timer = setTimeout(() => load(true), 250); });

  const element = [
    h("h2", {}, "Messages"),
    h("div", { class: "row filters" }, order, state, search, h("button", { onclick: () => load(true) }, "Refresh")),
    h("div", { class: "scroll" }, h("table", { class: "messages" },
      h("thead", {}, h("tr", {}, ["", "Id", "State", "Attempts", "Timestamp", "Visible", "Came from", "Body"].map((t) => h("th", {}, t)))),
      messages)),
    pager, detail];
  return { element, load };
}

export function showQueue(view, name, listen) {
  const counts = h("p", { class: "counts" });
  const settings = h("p", { class: "muted" });
  const pause = h("button", {}, "Pause delivery");
  const header = h("div", { class: "queue-head" },
    h("h1", {}, h("a", { href: "#/" }, "Queues"), " / ", name),
    h("div", { class: "actions" },
      pause,
      h("button", { title: "Close the open batch windows now", onclick: () => act("POST", "/flush", undefined, "Batch windows flushed") }, "Flush"),
      h("button", { class: "danger", onclick: purge }, "Purge…")));
  const dlq = h("div");
  const selected = new Set();
  const list = messageList(name, selected);
  let current = null;    // the queue's overview entry

  async function act(method, path, body, done) {
    try {
      await api(method, q(name) + path, body);
      notify(done, "info");
    } catch (e) { notify(e.message); }
  }
  async function purge() {
    const n = current?.backlog.count ?? 0;
    if (!await confirmAction(`Delete all ${count(n)} message(s) of queue '${name}'? This cannot be undone.`, `Delete ${count(n)} message(s)`)) return;
    await act("POST", "/purge", { delete_messages_permanently: true }, `Purged queue '${name}'`);
    list.load(true);
  }
  pause.addEventListener("click", () => {
    const paused = current?.settings.delivery_paused;
    act("PATCH", "", { settings: { delivery_paused: !paused } }, paused ? "Delivery resumed" : "Delivery paused");
  });

  view.append(h("section", {}, header, counts, settings, r2Feeds(name), dlq, ...list.element, sendForm(name, () => list.load(true))));

  const render = () => {
    current = live.overview?.queues.find((x) => x.queue_name === name) ?? null;
    if (!current) { counts.textContent = live.overview ? "This queue does not exist (any more)." : ""; return; }
    counts.textContent = countsLine(current);
    settings.textContent = settingsLine(current);
    pause.textContent = current.settings.delivery_paused ? "Resume delivery" : "Pause delivery";
    if (current.is_dead_letter_queue && !dlq.firstChild)
      dlq.append(replayPanel(name, () => [...selected], () => { selected.clear(); list.load(true); }));
  };
  listen((event) => { if (event === "overview") render(); });
  render();
  list.load(true);
}
