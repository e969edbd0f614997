// A dead letter queue's replay: all its messages, the selected ones, or those older than an
// age, back to the queue each came from or to another; a dry run first, then the replay in
// steps of 500 with its progress, and a summary at the end.
import { api } from "./api.js";
import { live } from "./live.js";
import { count, h, notify } from "./dom.js";

const kStep = 500;

export function replayPanel(dlq, selectedIds, done) {
  const scope = h("select", { name: "scope" },
    h("option", { value: "all" }, "every message"), h("option", { value: "selected" }, "the selected messages"),
    h("option", { value: "older" }, "messages older than"));
  const age = h("input", { name: "older", type: "text", value: "1h", size: 6, title: "e.g. 30m, 1h, 2d" });
  const target = h("select", { name: "to" }, h("option", { value: "" }, "the queue each came from"));
  for (const q of live.overview?.queues ?? []) if (q.queue_name !== dlq) target.append(h("option", { value: q.queue_name }, q.queue_name));
  const result = h("div", { class: "replay-result", "aria-live": "polite" });
  const progress = h("progress", { max: 1, value: 0, hidden: true });

  function filter() {
    const f = {};
    if (target.value) f.to = target.value;
    if (scope.value === "selected") {
      f.ids = selectedIds();
      if (!f.ids.length) throw new Error("Select messages in the list below first");
    }
    if (scope.value === "older") {
      const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(age.value.trim());
      if (!m) throw new Error(`'${age.value}' is not an age like 30m, 1h or 2d`);
      f.older_than_secs = Math.round(Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]]);
    }
    return f;
  }
  const movable = (r) => Object.values(r.by_target).reduce((a, b) => a + b, 0);
  const describe = (r) => Object.entries(r.by_target).map(([q, n]) => `${count(n)} to ${q}`).join(", ") +
    (r.without_origin ? `; ${count(r.without_origin)} without an origin (choose a queue)` : "");

  async function dryRun() {
    try {
      const r = await api("POST", `/queues/${encodeURIComponent(dlq)}/replay`, { ...filter(), dry_run: true });
      result.replaceChildren(h("p", {}, `Would replay ${count(movable(r))} message(s): ${describe(r) || "nothing"}`));
      return r;
    } catch (e) { notify(e.message); return null; }
  }
  async function replay() {
    const plan = await dryRun();
    if (!plan || movable(plan) === 0) return;
    const f = filter();
    const total = movable(plan);
    const moved = {};
    let sum = 0;
    progress.hidden = false;
    progress.max = total;
    try {
      while (sum < total) {
        const r = await api("POST", `/queues/${encodeURIComponent(dlq)}/replay`, { ...f, limit: Math.min(kStep, total - sum) });
        if (r.moved === 0) break;
        sum += r.moved;
        for (const [q, n] of Object.entries(r.by_target)) moved[q] = (moved[q] ?? 0) + n;
        progress.value = sum;
        result.replaceChildren(h("p", {}, `Replaying… ${count(sum)} of ${count(total)}`));
      }
      result.replaceChildren(h("p", { class: "summary" }, `Replayed ${count(sum)} message(s): ${describe({ by_target: moved }) || "nothing"}`));
      done();
    } catch (e) { notify(e.message); }
    progress.hidden = true;
  }

  return h("section", { class: "replay" },
    h("h2", {}, "Replay dead letters"),
    h("p", { class: "muted" }, "Messages keep their id, timestamp and body; attempts start again at 1."),
    h("div", { class: "row" }, "Replay ", scope, age, " to ", target,
      h("button", { onclick: dryRun }, "Dry run"), h("button", { class: "primary", onclick: replay }, "Replay")),
    progress, result);
}
