// How the Worker host joins flareq's delivery service to the Worker's runtime, for each shape
// of Miniflare options a supported wrangler brings: Miniflare 4 (wrangler 4.86 to 4.1xx) and
// Miniflare 5 (wrangler 4.164 and later). Neither wrangler nor Miniflare takes an extra
// service, socket or tail consumer from a config, so they are added to the user Worker's
// options as Miniflare parses them, at start and on every reload:
// - an "unsafe" binding served by queue-plugin.mjs (the delivery service itself; the plugin
//   gives the Worker no binding for it),
// - a direct socket on the loopback port flareq chose (flareq posts batches there),
// - the service as the Worker's tail consumer (what queue() threw reaches it),
// - and, in the shared options, a log handler that passes the service's marks to flareq as
//   they are rather than through wrangler's logger (which also writes a debug log file).
// One function per shape; `joinDelivery` picks the one that fits, or reports that none does
// (then batches go through the host's Node.js).
import { DELIVERY_SERVICE } from "./queue-plugin.mjs";

// The delivery binding and socket, in Miniflare's words.
function deliveryParts({ workerName, port, secret, plugin }) {
  return {
    options: { kind: "delivery", worker: workerName, secret },
    socket: { host: "127.0.0.1", port, serviceName: DELIVERY_SERVICE, entrypoint: "deliver" },
    plugin,
  };
}

// A log handler that lets `isMark` lines through as they are.
function passMarks(handle, isMark, out) {
  return typeof handle === "function" ? (log) => (isMark(log?.message) ? out(`${log.message}\n`) : handle(log)) : handle;
}

// Miniflare 4: its core plugin parses each Worker's options (flat: unsafeBindings,
// unsafeDirectSockets, tails) and the shared options apart.
function miniflare4(miniflare, join) {
  const core = miniflare.PLUGINS?.core;
  if (!core?.options?.parse || !core?.sharedOptions?.parse) return false;
  const parts = deliveryParts(join);
  afterParse(core.options, (options) => {
    if (options?.name !== join.workerName || options.unsafeDirectSockets?.some((s) => s.serviceName === DELIVERY_SERVICE))
      return;
    options.unsafeBindings = [...(options.unsafeBindings ?? []),
      { name: DELIVERY_SERVICE, type: "flareq_delivery", plugin: parts.plugin, options: parts.options }];
    options.unsafeDirectSockets = [...(options.unsafeDirectSockets ?? []), parts.socket];
    options.tails = [...(options.tails ?? []), { name: DELIVERY_SERVICE, entrypoint: "deliver" }];
  });
  afterParse(core.sharedOptions, (options) => {
    if (options) options.handleStructuredLogs = passMarks(options.handleStructuredLogs, join.isMark, join.out);
  });
  return true;
}

// Miniflare 5: one schema parses everything; each Worker is {config: {name, env,
// tailConsumers}, dev: {unsafeDirectSockets}}, and "unsafe:" bindings live in its env.
function miniflare5(miniflare, join) {
  const schema = miniflare.MiniflareOptionsSchema;
  if (!schema?.parse) return false;
  const parts = deliveryParts(join);
  afterParse(schema, (options) => {
    options.handleStructuredLogs = passMarks(options.handleStructuredLogs, join.isMark, join.out);
    for (const worker of options.workers ?? []) {
      if (worker?.config?.name !== join.workerName) continue;
      if (worker.dev?.unsafeDirectSockets?.some((s) => s.serviceName === DELIVERY_SERVICE)) continue;
      worker.config.env = { ...(worker.config.env ?? {}),
        [DELIVERY_SERVICE]: { type: "unsafe:flareq_delivery", dev: { plugin: parts.plugin, options: parts.options } } };
      worker.config.tailConsumers = [...(worker.config.tailConsumers ?? []), { worker: DELIVERY_SERVICE, entrypoint: "deliver" }];
      worker.dev = { ...(worker.dev ?? {}), unsafeDirectSockets: [...(worker.dev?.unsafeDirectSockets ?? []), parts.socket] };
    }
  });
  return true;
}

// Lets `change` amend what one of Miniflare's option schemas parses (in place), from now on.
function afterParse(schema, change) {
  const parse = schema.parse;
  schema.parse = (data, params) => {
    const options = parse.call(schema, data, params);
    change(options);
    return options;
  };
}

// Adds the delivery service for `workerName` to the runtime that `miniflare` will start;
// returns the shape used ("miniflare 4" or "miniflare 5"), or "" when the module has neither.
// join: {workerName, port, secret, plugin: {package, name}, isMark(text), out(text)}.
export function joinDelivery(miniflare, join) {
  if (miniflare4(miniflare, join)) return "miniflare 4";
  if (miniflare5(miniflare, join)) return "miniflare 5";
  return "";
}
