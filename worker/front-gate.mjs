// The gate in front of the Worker's fetch(), inside the runtime: flareq's Worker front adds a
// secret header (one per dev) to every request it passes on, and the gate refuses a request
// without it before the user's code runs, then removes it. So a page that finds the runtime's
// own loopback port (a scan of 127.0.0.1 from a browser takes seconds) reaches the Worker only
// through the front, which holds each request to the local safety rules.
//
// The gate is a module that becomes the Worker's entry point: it re-exports everything of the
// Worker's own entry module (Durable Objects, named entrypoints) and wraps its default export
// (an object's handlers, or a WorkerEntrypoint class; a module without one is served as an
// object without handlers, and told why when it exports handlers by name): fetch() is gated
// when there is a secret, every handler gets its env with the R2 bindings of `buckets` reporting their
// writes (r2-events.mjs), the sends that fetch(), queue(), scheduled() and email() leave in
// flight are said (unawaited-sends.mjs, for the queue bindings of `producers`), and what
// queue() throws (or a promise it gave ctx.waitUntil() rejects with) is kept, by the batch's
// first message, until the delivery service asks for it with its own secret (the runtime's
// verdict says only that queue() threw; a queue() ended as hung threw nothing, and is said so, as
// is a queue() the Worker does not have). During a handler, the Worker's code that reads its env
// from "cloudflare:workers" (import { env }) gets that same env, not the runtime's own (withEnv()).
// The classes of `classes` (the Worker's own Durable Objects and Workflows, which the runtime
// makes instances of) get that env too, and run each of their methods under it; so do the
// methods of its named WorkerEntrypoint classes, changed in place (own-classes.mjs).
// miniflare-shapes.mjs puts it in place.
import { EVENTS_MODULE } from "./r2-events.mjs";
import { SENDS_MODULE } from "./unawaited-sends.mjs";
import { CLASSES_MODULE } from "./own-classes.mjs";

// Every module flareq adds to the Worker is named with this prefix (the gate, r2-events.mjs's,
// unawaited-sends.mjs's, own-classes.mjs's), so that their frames can be left out of what queue() threw.
export const MODULE_PREFIX = "__flareq_";
export const GATE_MODULE = `${MODULE_PREFIX}front_gate.mjs`;
export const GATE_HEADER = "x-flareq-front";

const THROWN_HEADER = "x-flareq-thrown";  // the delivery service's secret: what did queue() throw?
const BATCH_HEADER = "x-flareq-batch";    // for the batch whose first message has this id

// The gate's source, importing the Worker's entry module from `mainImport` ("./index.js").
// secret: what fetch() asks of every request ("" for no gate); buckets: {BINDING: "bucket"};
// producers: the queue bindings' names; peers: the service bindings' to this dev's other Workers
// (which share the secret); consumes: the queues whose batches queue() gets (a
// Worker without queue() is told as it loads); deliverySecret: what an ask for what queue()
// threw carries ("": nothing is kept); classes: the names of the Worker's exported classes
// that the runtime instantiates with an env; workersModule: where withEnv() comes from (Node's
// tests give a module of their own).
export function gateSource(mainImport, { secret = "", buckets = {}, producers = [], peers = [], consumes = [], deliverySecret = "",
                                         classes = [], workersModule = "cloudflare:workers" } = {}) {
  const main = JSON.stringify(mainImport);
  // Each class takes its place among the module's exports (a local export hides `export *`'s).
  const classExports = [...new Set(classes)].map((name, i) =>
    `const ${MODULE_PREFIX}class_${i} = ownClass(worker[${JSON.stringify(name)}]);\n` +
    `export { ${MODULE_PREFIX}class_${i} as ${JSON.stringify(name)} };\n`).join("");
  return `import * as worker from ${main};
import * as workers from ${JSON.stringify(workersModule)};
import { withR2Events } from ${JSON.stringify("./" + EVENTS_MODULE)};
import { watchInvocation, watchSends, WATCHED_HANDLERS } from ${JSON.stringify("./" + SENDS_MODULE)};
import { ownClasses } from ${JSON.stringify("./" + CLASSES_MODULE)};
export * from ${main};
const SECRET = ${JSON.stringify(secret)};
const HEADER = ${JSON.stringify(GATE_HEADER)};
const BUCKETS = ${JSON.stringify(buckets)};
const PRODUCERS = ${JSON.stringify(producers)};
const CONSUMES = ${JSON.stringify(consumes)};
const PEERS = ${JSON.stringify(peers)};
const DELIVERY_SECRET = ${JSON.stringify(deliverySecret)};
// A service binding to a Worker of this dev: what its fetch() sends carries the secret.
function withSecret(binding) {
  return new Proxy(binding, {
    get(target, prop) {
      if (prop !== "fetch") {
        // The binding's own methods (connect()) called on it; its RPC methods as they are (bound,
        // they no longer reach the Worker's).
        const value = Reflect.get(target, prop);
        const own = Object.prototype.hasOwnProperty.call(Object.getPrototypeOf(target) ?? {}, prop);
        return own && typeof value === "function" ? value.bind(target) : value;
      }
      return (input, init) => {
        const request = new Request(input, init);
        request.headers.set(HEADER, SECRET);
        return target.fetch(request);
      };
    },
  });
}
// Runs a handler with \`import { env } from "cloudflare:workers"\` meaning the env it was given.
const withEnv = typeof workers.withEnv === "function" ? workers.withEnv : (env, run) => run();
const withPeers = new WeakMap();  // env → the same with its peers' bindings wrapped
function envOf(env) {
  const withEvents = withR2Events(env, BUCKETS);
  if (!SECRET || !PEERS.some((binding) => withEvents?.[binding])) return withEvents;
  let result = withPeers.get(withEvents);
  if (!result) {
    result = { ...withEvents };
    for (const binding of PEERS) if (result[binding]) result[binding] = withSecret(result[binding]);
    withPeers.set(withEvents, result);
  }
  return result;
}
// What queue() threw, by its batch's first message id (a message is in one batch at a time),
// until the delivery service asks, at once after the runtime's verdict.
const thrown = new Map();
const HUNG = "queue() never finished: the runtime ended it as hung, as production does, because it awaited a promise " +
  "that nothing could settle any more (no I/O, timer or event of its own was pending)";
// The error's name, message and stack, without the frames of flareq's modules, nor that of the
// withEnv() one of them called queue() through: the Worker's code only.
function describeThrown(e) {
  if (!(e instanceof Error)) return "queue() threw " + String(e);
  const stack = typeof e.stack === "string" ? e.stack : "";
  const at = stack.indexOf("\\n    at ");
  const isFlareqFrame = (line) => line !== undefined && line.includes(${JSON.stringify("/" + MODULE_PREFIX)});
  const lines = at < 0 ? [] : stack.slice(at + 1).split("\\n");
  const frames = lines.filter((line, i) => !isFlareqFrame(line) && !(line.startsWith("    at withEnv (") && isFlareqFrame(lines[i + 1])));
  return "queue() threw " + e.name + ": " + e.message + frames.map((line) => "\\n" + line).join("");
}
function noteThrown(batch, e) {
  const id = batch?.messages?.[0]?.id;
  if (!DELIVERY_SECRET || id === undefined) return;
  const text = describeThrown(e);
  thrown.set(id, thrown.has(id) ? thrown.get(id) + "\\n" + text : text);
  if (thrown.size > 1000) thrown.delete(thrown.keys().next().value);  // asks that never came
}
// How many of queue()'s promises (its own, those it gave waitUntil()) have not settled, by batch:
// one still open when the runtime's verdict is an exception with nothing thrown was ended as hung.
const open = new Map();
function opened(id, by) {
  if (!DELIVERY_SECRET || id === undefined) return;
  const left = (open.get(id) ?? 0) + by;
  if (left > 0) open.set(id, left);
  else open.delete(id);
  if (open.size > 1000) open.delete(open.keys().next().value);
}
async function watched(batch, call) {
  const id = batch?.messages?.[0]?.id;
  opened(id, 1);
  try {
    return await call();
  } catch (e) {
    noteThrown(batch, e);
    throw e;
  } finally {
    opened(id, -1);
  }
}
// ctx as queue() sees it: the promises it gives waitUntil() are watched too.
function watchedCtx(ctx, batch) {
  if (!ctx || !DELIVERY_SECRET) return ctx;
  return new Proxy(ctx, {
    get(target, key) {
      if (key === "waitUntil") return (promise) => target.waitUntil(watched(batch, () => promise));
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
const isThrownAsk = (request) => DELIVERY_SECRET !== "" && request.headers.get(${JSON.stringify(THROWN_HEADER)}) === DELIVERY_SECRET;
function thrownAnswer(request) {
  const id = request.headers.get(${JSON.stringify(BATCH_HEADER)});
  const hung = open.has(id);
  const text = thrown.get(id) ?? (hung ? HUNG : NO_QUEUE);
  thrown.delete(id);
  open.delete(id);
  return new Response(text);
}
// A request through the runtime's entry socket (where a page could reach it) carries the secret,
// or is refused. One that never came through an entry socket is another Worker's call through a
// service binding (the dev registry's): the runtime's entry sets CF-Connecting-IP on every
// request it takes, and nothing can take it off, so its absence says so. A Worker of this dev
// that passes on the request it got (env.API.fetch(request), CF-Connecting-IP and all) adds
// the secret, which the Workers of one dev share (PEERS).
function admitted(request) {
  if (!SECRET) return request;
  if (request.headers.get(HEADER) !== SECRET) return request.headers.has("cf-connecting-ip") ? null : request;
  const passed = new Request(request);  // one copy, whose headers may change
  passed.headers.delete(HEADER);
  return passed;
}
// A write from outside the Worker (flareq r2 object put|delete, flareq/testing), sent by flareq
// with the secret: made on the Worker's own binding, so its notifications follow.
async function r2Write(request, env) {
  const binding = envOf(env)[request.headers.get("x-flareq-r2-binding")];
  const key = new TextDecoder().decode(Uint8Array.from(atob(request.headers.get("x-flareq-r2-key") ?? ""), (c) => c.charCodeAt(0)));
  try {
    if (!binding) throw new Error("the Worker has no binding " + request.headers.get("x-flareq-r2-binding"));
    if (request.headers.get("x-flareq-r2-op") === "delete") {
      await binding.delete(key);
      return Response.json({ deleted: key });
    }
    const contentType = request.headers.get("content-type");
    const object = await binding.put(key, await request.arrayBuffer(), contentType ? { httpMetadata: { contentType } } : {});
    return Response.json({ key: object.key, size: object.size, etag: object.etag });
  } catch (e) {
    return Response.json({ error: String(e?.message ?? e) }, { status: 500 });
  }
}
const isR2Write = (request) => SECRET !== "" && request.headers.get("x-flareq-r2") === SECRET;
function refused() {
  return new Response("flareq: the Worker is served on the port dev printed; this one takes requests from it only\\n",
                      { status: 403, headers: { "content-type": "text/plain; charset=utf-8" } });
}
// A request flareq itself sends, known by its secret: an ask for what queue() threw, or an R2
// write; null for any other.
function fromFlareq(request, env) {
  if (isThrownAsk(request)) return thrownAnswer(request);
  if (isR2Write(request)) return r2Write(request, env);
  return null;
}
// A module without a default export (a Worker of Durable Objects only, or handlers exported by
// name, which the runtime does not call) is served as one whose default export has no handler.
const inner = worker.default ?? {};
const HANDLER_NAMES = ["fetch", "scheduled", "email", "tail", "queue"];
const named = HANDLER_NAMES.filter((name) => typeof worker[name] === "function");
const NO_DEFAULT = worker.default != null ? "" :
  "the Worker's module has no default export" +
  (named.length ? " (it exports " + named.map((name) => name + "()").join(", ") + " by name, which the runtime does not call)" : "") +
  ": a Worker's handlers are its default export's methods, e.g. export default { " + (named.length ? named.join(", ") : "fetch, queue") + " }";
// A Worker that consumes a queue but exports no queue() (a Hono app exported as it is, say): the
// runtime's verdict on each batch is only "exception", so the answer to the ask says why.
const handlers = typeof inner === "function" ? inner.prototype ?? {} : inner;
const exported = HANDLER_NAMES.filter((name) => typeof handlers[name] === "function").map((name) => name + "()");
const NO_QUEUE = typeof handlers.queue === "function" ? "" :
  NO_DEFAULT ? "the Worker exports no queue() handler: " + NO_DEFAULT :
  "the Worker exports no queue() handler (its default export has " +
  (exported.length ? exported.join(", ") + " only" : "no handler") +
  "): add queue(batch, env, ctx) to it, e.g. export default { fetch: app.fetch, async queue(batch, env) { … } } for a Hono app";
const noFetch = () => new Response((NO_DEFAULT ? "the Worker has no fetch(): " + NO_DEFAULT : "the Worker has no fetch()") + "\\n",
                                   { status: 501 });
// Said as it loads (again after each reload), before a batch fails for it.
if (NO_QUEUE && CONSUMES.length)
  console.warn("flareq: this Worker consumes " + CONSUMES.map((q) => "'" + q + "'").join(", ") + ", but " + NO_QUEUE +
               "; until then each batch fails, as in production");
else if (NO_DEFAULT && named.length) console.warn("flareq: " + NO_DEFAULT);
let gated = inner;
if (typeof inner === "function" && inner.prototype) {
  // A WorkerEntrypoint class: an instance per invocation, so queue() may watch this.ctx.
  const hasFetch = typeof inner.prototype.fetch === "function";
  const invocations = new WeakMap();  // instance → its watched sends
  gated = class extends inner {
    constructor(ctx, env) {
      const invocation = watchInvocation(PRODUCERS, envOf(env), ctx);
      super(invocation.ctx, invocation.env);
      invocations.set(this, invocation);
    }
    fetch(request) {
      const ours = fromFlareq(request, this.env);
      if (ours) return ours;
      if (!hasFetch) return noFetch();
      const r = admitted(request);
      if (!r) return refused();
      const invocation = invocations.get(this);
      return invocation.after(withEnv(invocation.env, () => super.fetch(r)), "fetch()");
    }
  };
  if (typeof inner.prototype.queue === "function")
    gated.prototype.queue = function (batch) {
      Object.defineProperty(this, "ctx", { value: watchedCtx(this.ctx, batch), writable: true, configurable: true });
      const invocation = invocations.get(this);
      return watched(batch, () => invocation.after(withEnv(invocation.env, () => inner.prototype.queue.call(this, batch)), "queue()"));
    };
  if (typeof inner.prototype.scheduled === "function")
    gated.prototype.scheduled = function (controller) {
      const invocation = invocations.get(this);
      return invocation.after(withEnv(invocation.env, () => inner.prototype.scheduled.call(this, controller)), "scheduled()");
    };
  Object.defineProperty(gated, "name", { value: inner.name });
} else if (inner !== null && typeof inner === "object") {
  gated = {};
  for (const key of Object.keys(inner)) {
    const value = inner[key];
    // Every handler takes (event, env, ctx); those that may send have their sends watched.
    gated[key] = typeof value !== "function" ? value
      : WATCHED_HANDLERS.includes(key)
      ? (event, env, ctx) => watchSends(PRODUCERS, key + "()", envOf(env), ctx, (e, c) => withEnv(e, () => value.call(inner, event, e, c)))
      : (event, env, ctx) => { const e = envOf(env); return withEnv(e, () => value.call(inner, event, e, ctx)); };
  }
  if (typeof inner.queue === "function")
    gated.queue = (batch, env, ctx) =>
      watched(batch, () => watchSends(PRODUCERS, "queue()", envOf(env), watchedCtx(ctx, batch),
                                      (e, c) => withEnv(e, () => inner.queue(batch, e, c))));
  gated.fetch = (request, env, ctx) => {
    const ours = fromFlareq(request, env);
    if (ours) return ours;
    if (typeof inner.fetch !== "function") return noFetch();
    const r = admitted(request);
    return r ? watchSends(PRODUCERS, "fetch()", envOf(env), ctx, (e, c) => withEnv(e, () => inner.fetch(r, e, c))) : refused();
  };
}
export default gated;
// The Worker's own classes take the handlers' env: its Durable Objects and Workflows in their
// place among the exports (below), its named WorkerEntrypoint classes where they are.
const { ownClass, ownEntrypoint } = ownClasses({ envOf, withEnv, workers });
for (const [name, value] of Object.entries(worker)) if (name !== "default" && value !== inner) ownEntrypoint(value);
${classExports}`;
}
