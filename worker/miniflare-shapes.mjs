// How the Worker host joins flareq to the Worker's runtime, for each shape of Miniflare options
// a supported wrangler brings: Miniflare 4 (wrangler 4.86 to 4.1xx) and Miniflare 5 (wrangler
// 4.164 and later). Neither wrangler nor Miniflare takes an extra service, socket or entry
// module from a config, so they are added to the user Worker's options as Miniflare parses
// them, at start and on every reload:
// - the front gate (front-gate.mjs) as the Worker's entry module, when the Worker is ES modules,
//   with the modules that report the Worker's R2 writes (r2-events.mjs), its sends left in
//   flight (unawaited-sends.mjs) and give its own classes the handlers' env (own-classes.mjs)
//   beside it,
// - an "unsafe" binding served by queue-plugin.mjs (the delivery service itself; the plugin
//   gives the Worker no binding for it),
// - a direct socket on the loopback port flareq chose (flareq posts batches there),
// - and, in the shared options, a log handler that passes the service's marks to flareq as
//   they are rather than through wrangler's logger (which also writes a debug log file).
// One function per shape; `joinFlareq` picks the one that fits, or reports that none does
// (then batches go through the host's Node.js, and fetch() has no gate).
import { readFileSync } from "node:fs";
import { join as joinPath, relative } from "node:path";
import { GATE_MODULE, gateSource } from "./front-gate.mjs";
import { EVENTS_MODULE } from "./r2-events.mjs";
import { SENDS_MODULE } from "./unawaited-sends.mjs";
import { CLASSES_MODULE } from "./own-classes.mjs";
import { DELIVERY_SERVICE } from "./queue-plugin.mjs";

// The delivery binding and socket, in Miniflare's words.
function deliveryParts({ workerName, port, secret, plugin }) {
  return {
    options: { kind: "delivery", worker: workerName, secret },
    socket: { host: "127.0.0.1", port, serviceName: DELIVERY_SERVICE, entrypoint: "deliver" },
    plugin,
  };
}

const eventsSource = readFileSync(new URL("./r2-events.mjs", import.meta.url), "utf8");
// It imports the R2 module by its file name here; in the runtime that module has EVENTS_MODULE's.
const sendsSource = readFileSync(new URL("./unawaited-sends.mjs", import.meta.url), "utf8")
  .replace('from "./r2-events.mjs"', `from "./${EVENTS_MODULE}"`);
const classesSource = readFileSync(new URL("./own-classes.mjs", import.meta.url), "utf8");
// Whether the Worker gets the gate: for fetch()'s secret, for R2 writes to report, or to keep
// what queue() throws for the delivery service.
const wantsGate = (join) => Boolean(join.frontSecret) || Object.keys(join.buckets ?? {}).length > 0 || Boolean(join.port);
const gateOptions = (join) => ({ secret: join.frontSecret ?? "", buckets: join.buckets ?? {},
                                 producers: join.producers ?? [], peers: join.peers ?? [], consumes: join.consumes ?? [],
                                 deliverySecret: join.port ? join.secret ?? "" : "", classes: join.classes ?? [] });

// A log handler that lets `isMark` lines through as they are.
function passMarks(handle, isMark, out) {
  return typeof handle === "function" ? (log) => (isMark(log?.message) ? out(`${log.message}\n`) : handle(log)) : handle;
}

// Miniflare 4: its core plugin parses each Worker's options (flat: modules, unsafeBindings,
// unsafeDirectSockets) and the shared options apart.
function miniflare4(miniflare, join) {
  const core = miniflare.PLUGINS?.core;
  if (!core?.options?.parse || !core?.sharedOptions?.parse) return false;
  const parts = deliveryParts(join);
  afterParse(core.options, (options) => {
    if (options?.name !== join.workerName) return;
    // The entry module comes first; the gate takes its place and imports it.
    const entry = Array.isArray(options.modules) ? options.modules[0] : undefined;
    if (wantsGate(join) && entry?.type === "ESModule" && !entry.path.endsWith(GATE_MODULE) && options.modulesRoot) {
      const main = "./" + relative(options.modulesRoot, entry.path).split("\\").join("/");
      options.modules = [{ type: "ESModule", path: joinPath(options.modulesRoot, GATE_MODULE),
                           contents: gateSource(main, gateOptions(join)) },
                         ...options.modules,
                         { type: "ESModule", path: joinPath(options.modulesRoot, EVENTS_MODULE), contents: eventsSource },
                         { type: "ESModule", path: joinPath(options.modulesRoot, SENDS_MODULE), contents: sendsSource },
                         { type: "ESModule", path: joinPath(options.modulesRoot, CLASSES_MODULE), contents: classesSource }];
    }
    if (!join.port || options.unsafeDirectSockets?.some((s) => s.serviceName === DELIVERY_SERVICE)) return;
    options.unsafeBindings = [...(options.unsafeBindings ?? []),
      { name: DELIVERY_SERVICE, type: "flareq_delivery", plugin: parts.plugin, options: parts.options }];
    options.unsafeDirectSockets = [...(options.unsafeDirectSockets ?? []), parts.socket];
  });
  afterParse(core.sharedOptions, (options) => {
    if (options) options.handleStructuredLogs = passMarks(options.handleStructuredLogs, join.isMark, join.out);
  });
  return true;
}

// Miniflare 5: one schema parses everything; each Worker is {config: {name, env},
// dev: {unsafeDirectSockets}}, and "unsafe:" bindings live in its env.
function miniflare5(miniflare, join) {
  const schema = miniflare.MiniflareOptionsSchema;
  if (!schema?.parse) return false;
  const parts = deliveryParts(join);
  afterParse(schema, (options) => {
    options.handleStructuredLogs = passMarks(options.handleStructuredLogs, join.isMark, join.out);
    for (const worker of options.workers ?? []) {
      if (worker?.config?.name !== join.workerName) continue;
      // The manifest names its main module; the gate becomes it and imports the Worker's.
      const manifest = worker.config.manifest;
      if (wantsGate(join) && manifest?.modules?.[manifest.mainModule]?.type === "esm" && manifest.mainModule !== GATE_MODULE) {
        manifest.modules = { ...manifest.modules,
          [GATE_MODULE]: { type: "esm", contents: gateSource("./" + manifest.mainModule, gateOptions(join)) },
          [EVENTS_MODULE]: { type: "esm", contents: eventsSource },
          [SENDS_MODULE]: { type: "esm", contents: sendsSource },
          [CLASSES_MODULE]: { type: "esm", contents: classesSource } };
        manifest.mainModule = GATE_MODULE;
      }
      if (!join.port || worker.dev?.unsafeDirectSockets?.some((s) => s.serviceName === DELIVERY_SERVICE)) continue;
      worker.config.env = { ...(worker.config.env ?? {}),
        [DELIVERY_SERVICE]: { type: "unsafe:flareq_delivery", dev: { plugin: parts.plugin, options: parts.options } } };
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

// Adds the front gate (with `frontSecret`) and the delivery service (with `port` and `secret`)
// for `workerName` to the runtime that `miniflare` will start; returns the shape used
// ("miniflare 4" or "miniflare 5"), or "" when the module has neither.
// join: {workerName, frontSecret, buckets: {BINDING: "bucket"}, producers: [BINDING], peers: [BINDING], consumes: [queue],
// classes: [the Worker's Durable Object and Workflow class names], port, secret,
// plugin: {package, name}, isMark(text), out(text)}.
export function joinFlareq(miniflare, join) {
  if (miniflare4(miniflare, join)) return "miniflare 4";
  if (miniflare5(miniflare, join)) return "miniflare 5";
  return "";
}

// The local URLs Cloudflare's docs give (`/cdn-cgi/handler/scheduled` to run a cron, the
// explorer at `/cdn-cgi/explorer`) moved under `/cdn-cgi/local/` in Miniflare 5, and wrangler's
// own proxy Worker takes the old ones to the new. flareq's Worker front stands where that proxy
// stood, so it does the same: [old prefix, new prefix] pairs, the new side from this Miniflare's
// own paths (none for Miniflare 4, which serves the old ones itself).
export function legacyPathRewrites(miniflare) {
  const paths = miniflare.CorePaths ?? {};
  const local = paths.SCHEDULED?.replace(/\/scheduled$/, "");
  if (!local || local === "/cdn-cgi/handler") return [];
  return [
    ["/cdn-cgi/handler", local],
    ["/cdn-cgi/mf/scheduled", paths.SCHEDULED],
    ["/cdn-cgi/explorer", paths.EXPLORER],
    ["/cdn-cgi/mf/stream", paths.STREAM_VIDEO],
    ["/cdn-cgi/mf/imagedelivery", paths.IMAGE_DELIVERY],
  ].filter(([, to]) => typeof to === "string");
}
