// The overview: every queue with its ready / delayed / leased counts, bytes, the age of its
// oldest message, its consumer, and its live rates with a chart of the last five minutes.
// Rows are updated in place, so nothing flickers and the scroll stays where it was.
import { live } from "./live.js";
import { bytes, count, duration, h } from "./dom.js";

const kRateWindowMs = 10000;

// Per-second rates of a queue's counters over the last ten seconds.
export function rates(name) {
  const points = live.history.get(name) ?? [];
  if (points.length < 2) return { received: 0, acked: 0, retried: 0, dead_lettered: 0 };
  const last = points[points.length - 1];
  const first = points.find((p) => p.t >= last.t - kRateWindowMs) ?? points[0];
  const secs = Math.max(1, (last.t - first.t) / 1000);
  const rate = (key) => (last.counters[key] - first.counters[key]) / secs;
  return { received: rate("received"), acked: rate("acked"), retried: rate("retried"), dead_lettered: rate("dead_lettered") };
}

// A small chart of messages received and acked per second, over the points kept.
function chart(name) {
  const points = live.history.get(name) ?? [];
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 120 24");
  svg.setAttribute("class", "chart");
  svg.setAttribute("aria-label", "received and acked per second, last 5 minutes");
  if (points.length < 2) return svg;
  const series = (key) => points.slice(1).map((p, i) => ({ t: p.t, v: Math.max(0, (p.counters[key] - points[i].counters[key]) / Math.max(0.001, (p.t - points[i].t) / 1000)) }));
  const received = series("received"), acked = series("acked");
  const top = Math.max(1, ...received.map((p) => p.v), ...acked.map((p) => p.v));
  const t0 = points[0].t, span = Math.max(1, points[points.length - 1].t - t0);
  for (const [data, cls] of [[received, "received"], [acked, "acked"]]) {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", data.map((p) => `${((p.t - t0) / span * 120).toFixed(1)},${(23 - p.v / top * 22).toFixed(1)}`).join(" "));
    line.setAttribute("class", cls);
    svg.append(line);
  }
  return svg;
}

// Who delivers the queue (paths cut to their last part; the whole in the title) and how.
export function consumerCell(q) {
  const c = q.consumer;
  if (!c) return { who: "none", how: "messages are kept", title: "" };
  const s = c.settings;
  if (c.type === "http_pull") return { who: "HTTP pull", how: `batch ${s.batch_size} · visibility ${s.visibility_timeout_ms / 1000}s`, title: "" };
  const full = c.delivery || "no handler running here";
  return {
    who: full.split(" ").map((word) => word.includes("/") ? word.slice(word.lastIndexOf("/") + 1) : word).join(" "),
    how: `batch ${s.batch_size} · ${s.max_wait_time_ms / 1000}s · retries ${s.max_retries} · concurrency ${s.max_concurrency ?? "auto"}`,
    title: full,
  };
}

export function showOverview(view, listen) {
  const body = h("tbody");
  const table = h("table", { class: "queues" },
    h("thead", {}, h("tr", {}, ["Queue", "Ready", "Delayed", "Leased", "Bytes", "Oldest", "Consumer", "DLQ",
      "In/s", "Acked/s", "Retried/s", "Dead/s", "Last 5 min"].map((t) => h("th", {}, t)))),
    body);
  const empty = h("p", { class: "muted" }, "No queues yet: send a message, or start dev with a config that names some.");
  view.append(h("section", {}, h("h1", {}, "Queues"), h("div", { class: "scroll" }, table), empty));
  const rows = new Map();
  const render = () => {
    const overview = live.overview;
    if (!overview) return;
    empty.hidden = overview.queues.length > 0;
    const now = overview.clock.now_ms;
    const seen = new Set();
    for (const q of overview.queues) {
      seen.add(q.queue_name);
      let row = rows.get(q.queue_name);
      if (!row) {
        const cells = Array.from({ length: 13 }, () => h("td"));
        cells[0].append(h("a", { href: `#/queue/${encodeURIComponent(q.queue_name)}` }, q.queue_name));
        row = { tr: h("tr", { "data-queue": q.queue_name }, cells), cells };
        rows.set(q.queue_name, row);
      }
      const r = rates(q.queue_name);
      const b = q.backlog;
      const values = [null, count(b.ready), count(b.delayed), count(b.leased), bytes(b.bytes),
        b.count ? duration(now - b.oldest_message_timestamp_ms) : "–", null,
        q.consumer?.dead_letter_queue || "–", r.received.toFixed(1), r.acked.toFixed(1), r.retried.toFixed(1),
        r.dead_lettered.toFixed(1)];
      values.forEach((v, i) => { if (v !== null && row.cells[i].textContent !== v) row.cells[i].textContent = v; });
      const consumer = consumerCell(q);
      if (row.cells[6].title !== consumer.title || row.cells[6].textContent !== consumer.who + consumer.how) {
        row.cells[6].replaceChildren(h("div", { class: "who" }, consumer.who), h("div", { class: "how muted" }, consumer.how));
        row.cells[6].title = consumer.title;
      }
      const a = row.cells[0].firstChild;
      a.className = q.settings.delivery_paused ? "paused" : "";
      a.title = [q.settings.delivery_paused && "delivery paused", q.is_dead_letter_queue && "a dead letter queue"].filter(Boolean).join(", ");
      row.cells[0].dataset.badges = [q.settings.delivery_paused ? "paused" : "", q.is_dead_letter_queue ? "DLQ" : ""].filter(Boolean).join(" ");
      row.cells[12].replaceChildren(chart(q.queue_name));
      if (row.tr.parentNode !== body) body.append(row.tr);
    }
    for (const [name, row] of rows) if (!seen.has(name)) { row.tr.remove(); rows.delete(name); }
  };
  listen((name) => { if (name === "overview") render(); });
  render();
}
