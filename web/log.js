// dev's live log: batch lines, retries, dead-letter moves and handler output, as they are
// written, filtered by queue; it follows the end unless the reader scrolled up.
import { live } from "./live.js";
import { h } from "./dom.js";

// Whether a log line is about `queue`: its batch line, its handler's output, or its moves.
function about(line, queue) {
  return line.startsWith(`QUEUE ${queue} `) || line.startsWith(`[${queue}] `) || line.includes(` queue ${queue} `) ||
    line.includes(` ${queue}: `) || line.endsWith(` ${queue}`) || line.includes(` of queue ${queue} `);
}

export function showLog(view, listen, initial) {
  const filter = h("select", { name: "queue" }, h("option", { value: "" }, "Every queue"));
  for (const q of live.overview?.queues ?? []) filter.append(h("option", { value: q.queue_name }, q.queue_name));
  filter.value = initial;
  const lines = h("pre", { class: "log", tabindex: 0 });
  const shown = (entry) => !filter.value || about(entry.line, filter.value);
  const add = (entry) => {
    const follow = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
    lines.append(h("div", { class: entry.line.startsWith("[fault]") ? "fault" : "" }, entry.line));
    while (lines.childElementCount > 2000) lines.firstChild.remove();
    if (follow) lines.scrollTop = lines.scrollHeight;
  };
  const renderAll = () => {
    lines.replaceChildren();
    for (const entry of live.log) if (shown(entry)) add(entry);
    lines.scrollTop = lines.scrollHeight;
  };
  filter.addEventListener("change", renderAll);
  view.append(h("section", {}, h("div", { class: "queue-head" }, h("h1", {}, "Log"), h("label", {}, "Queue ", filter)), lines));
  listen((name, data) => {
    if (name === "log" && shown(data)) add(data);
    if (name === "overview" && filter.options.length - 1 !== data.queues.length) {
      const value = filter.value;
      filter.replaceChildren(h("option", { value: "" }, "Every queue"), ...data.queues.map((q) => h("option", { value: q.queue_name }, q.queue_name)));
      filter.value = value;
    }
  });
  renderAll();
}
