// front-gate.mjs's module on its own, in Node.js: the gate written beside a Worker module (and
// the two modules it imports) and loaded, then asked, as the delivery service asks, what a
// batch's queue() threw. A Worker that has no queue() gets the reason instead of nothing.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncResource } from "node:async_hooks";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { GATE_MODULE, gateSource } from "../../worker/front-gate.mjs";
import { EVENTS_BINDING, EVENTS_MODULE } from "../../worker/r2-events.mjs";
import { SENDS_MODULE } from "../../worker/unawaited-sends.mjs";
import { CLASSES_MODULE } from "../../worker/own-classes.mjs";
import { warnings } from "./warnings.mjs";

const SECRET = "delivery-secret";
const dirs = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

// "cloudflare:workers" as far as the gate and the Workers of these tests use it: \`env\` is the one
// withEnv() gives, by async context, as the runtime's is.
const WORKERS_MODULE = `import { AsyncLocalStorage } from "node:async_hooks";
const scope = new AsyncLocalStorage();
export const env = new Proxy({}, { get: (_, name) => scope.getStore()?.[name] });
export function withEnv(newEnv, run) { return scope.run(newEnv, run); }
export class WorkflowEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
export class WorkerEntrypoint { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }
`;

// The gate in front of a Worker whose entry module is `source`, loaded as the runtime loads it.
async function gated(source, options = {}) {
  return (await gatedModule(source, options)).default;
}

// The gate's module itself: its default export and the Worker's other exports, as the runtime sees them.
async function gatedModule(source, { consumes = [], secret = "", peers = [], producers = [], classes = [], buckets = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "flareq-gate-"));
  dirs.push(dir);
  const worker = new URL("../../worker/", import.meta.url);
  writeFileSync(join(dir, "index.mjs"), source);
  writeFileSync(join(dir, EVENTS_MODULE), readFileSync(new URL("r2-events.mjs", worker)));
  writeFileSync(join(dir, SENDS_MODULE), readFileSync(new URL("unawaited-sends.mjs", worker), "utf8")
    .replace('from "./r2-events.mjs"', `from "./${EVENTS_MODULE}"`));
  writeFileSync(join(dir, CLASSES_MODULE), readFileSync(new URL("own-classes.mjs", worker)));
  writeFileSync(join(dir, "workers.mjs"), WORKERS_MODULE);
  writeFileSync(join(dir, GATE_MODULE), gateSource("./index.mjs", { deliverySecret: SECRET, consumes, secret, peers, producers,
                                                                    classes, buckets, workersModule: "./workers.mjs" }));
  return import(pathToFileURL(join(dir, GATE_MODULE)).href);
}

// What the gate answers the delivery service's ask for the batch whose first message is `id`.
async function thrownFor(fetch, id = "m1") {
  const ask = new Request("http://flareq/thrown", { headers: { "x-flareq-thrown": SECRET, "x-flareq-batch": id } });
  return (await fetch(ask)).text();
}
const ctx = { waitUntil() {}, passThroughOnException() {} };

test("a default-export object without queue() is said to have none, with the handlers it has", async () => {
  const worker = await gated("export default { fetch() { return new Response('hi'); }, scheduled() {} };");
  assert.equal(await thrownFor((r) => worker.fetch(r, {}, ctx)),
               "the Worker exports no queue() handler (its default export has fetch(), scheduled() only): add " +
               "queue(batch, env, ctx) to it, e.g. export default { fetch: app.fetch, async queue(batch, env) { … } } " +
               "for a Hono app");
});

test("a Hono-like app (fetch an own property of an instance) is one without queue()", async () => {
  const worker = await gated("class App { fetch = () => new Response('hono'); get() {} }\nexport default new App();");
  assert.match(await thrownFor((r) => worker.fetch(r, {}, ctx)), /^the Worker exports no queue\(\) handler \(its default export has fetch\(\) only\)/);
});

test("a WorkerEntrypoint class without queue() is said so too", async () => {
  const Worker = await gated("export default class { constructor(ctx, env) { this.ctx = ctx; this.env = env; }\n" +
                             "  fetch() { return new Response('class'); } };");
  const worker = new Worker(ctx, {});
  assert.match(await thrownFor((r) => worker.fetch(r)), /^the Worker exports no queue\(\) handler \(its default export has fetch\(\) only\)/);
});

test("a Worker with queue() that threw nothing (a batch it never saw) gets an empty answer", async () => {
  const worker = await gated("export default { fetch() { return new Response(''); }, async queue() {} };");
  assert.equal(await thrownFor((r) => worker.fetch(r, {}, ctx)), "");
});

test("what queue() threw is the answer, by the batch's first message", async () => {
  const worker = await gated("export default { async queue(batch) { throw new TypeError('bad ' + batch.messages[0].id); } };");
  const batch = { messages: [{ id: "m7" }] };
  await assert.rejects(worker.queue(batch, {}, ctx), /bad m7/);
  assert.match(await thrownFor((r) => worker.fetch(r, {}, ctx), "m7"), /^queue\(\) threw TypeError: bad m7/);
  assert.equal(await thrownFor((r) => worker.fetch(r, {}, ctx), "m7"), "", "asked once, then forgotten");
});

test("what queue() threw keeps the Worker's frames only: not flareq's, nor the withEnv() flareq called it through", async () => {
  const worker = await gated("export default { async queue() { throw new Error('own'); } };");
  await assert.rejects(worker.queue({ messages: [{ id: "m8" }] }, {}, ctx), /own/);
  const answer = await thrownFor((r) => worker.fetch(r, {}, ctx), "m8");
  assert.match(answer, /^queue\(\) threw Error: own\n    at Object\.queue \(file:\/\/\S*\/index\.mjs:1:\d+\)/);
  assert.doesNotMatch(answer, /withEnv|__flareq_/);
});

test("a Worker that consumes queues but has no queue() is told as it loads, one that has it is not", async () => {
  const told = await warnings(() => gated("export default { fetch() {} };", { consumes: ["orders", "audit"] }));
  assert.deepEqual(told, ["flareq: this Worker consumes 'orders', 'audit', but the Worker exports no queue() handler " +
                          "(its default export has fetch() only): add queue(batch, env, ctx) to it, e.g. export default " +
                          "{ fetch: app.fetch, async queue(batch, env) { … } } for a Hono app; until then each batch " +
                          "fails, as in production"]);
  assert.deepEqual(await warnings(() => gated("export default { fetch() {} };")), [], "a producer only");
  assert.deepEqual(await warnings(() => gated("export default { queue() {} };", { consumes: ["orders"] })), []);
});

test("a module without a default export is told that named handlers are not called, and still serves", async () => {
  const source = "export async function fetch() { return new Response('named'); }\nexport async function queue() {}";
  const told = await warnings(() => gated(source, { consumes: ["q"] }));
  const why = "the Worker's module has no default export (it exports fetch(), queue() by name, which the runtime does " +
              "not call): a Worker's handlers are its default export's methods, e.g. export default { fetch, queue }";
  assert.deepEqual(told, ["flareq: this Worker consumes 'q', but the Worker exports no queue() handler: " + why +
                          "; until then each batch fails, as in production"]);
  const worker = await gated(source);
  assert.equal(await thrownFor((r) => worker.fetch(r, {}, ctx)), "the Worker exports no queue() handler: " + why);
  const answer = await worker.fetch(new Request("http://localhost/"), {}, ctx);
  assert.equal(answer.status, 501);
  assert.equal(await answer.text(), "the Worker has no fetch(): " + why + "\n");
  assert.deepEqual(await warnings(() => gated(source)), ["flareq: " + why], "said also when it consumes nothing");
});

test("a Worker of Durable Objects only (no default export, no handler by name) loads without a word", async () => {
  const source = "export class Counter { constructor(state, env) {} }";
  assert.deepEqual(await warnings(() => gated(source)), []);
  const worker = await gated(source);
  assert.equal((await worker.fetch(new Request("http://localhost/"), {}, ctx)).status, 501);
});

test("fetch() takes the front's requests and other Workers' calls, not a request through the runtime's entry without the secret", async () => {
  const FRONT = "front-secret";
  const worker = await gated("export default { fetch(r) { return new Response(String(r.headers.has('x-flareq-front'))); } };",
                             { secret: FRONT });
  const ask = (headers) => worker.fetch(new Request("http://localhost/", { headers }), {}, ctx);
  // The runtime's entry sets CF-Connecting-IP on every request it takes.
  assert.equal((await ask({ "cf-connecting-ip": "127.0.0.1" })).status, 403);
  assert.equal((await ask({ "cf-connecting-ip": "127.0.0.1", "x-flareq-front": "wrong" })).status, 403);
  const front = await ask({ "cf-connecting-ip": "127.0.0.1", "x-flareq-front": FRONT });
  assert.equal(await front.text(), "false", "admitted, the secret taken off");
  // A service binding's call from another Worker (through the dev registry) never passed an entry.
  assert.equal(await (await ask({})).text(), "false");
});

test("a service binding to a Worker of the same dev passes on requests with the secret, and RPC as it is", async () => {
  const FRONT = "front-secret";
  const worker = await gated("export default { fetch(r, env) { return env.PEER.fetch(r); }, " +
                             "rpc(e, env) { return env.PEER.sum(2, 3); } };", { secret: FRONT, peers: ["PEER"] });
  const seen = [];
  const peer = { fetch: (r) => (seen.push(r.headers.get("x-flareq-front")), new Response("ok")), sum: (a, b) => a + b };
  const request = new Request("http://localhost/", { headers: { "cf-connecting-ip": "127.0.0.1", "x-flareq-front": FRONT } });
  assert.equal(await (await worker.fetch(request, { PEER: peer }, ctx)).text(), "ok");
  assert.deepEqual(seen, [FRONT]);
  assert.equal(await worker.rpc(null, { PEER: peer }, ctx), 5);
});

test("code that reads env from cloudflare:workers gets the handler's env: its sends left in flight are said", async () => {
  const audit = "import { env } from './workers.mjs';\nfunction audit(what) { env.AUDIT.send({ what }); }\n";
  const slowQueue = () => ({ send: () => new Promise((resolve) => setTimeout(resolve, 50)) });
  const told = await warnings(async () => {
    const worker = await gated(audit + "export default { fetch() { audit('order'); return new Response('ok'); } };",
                               { producers: ["AUDIT"] });
    await worker.fetch(new Request("http://localhost/"), { AUDIT: slowQueue() }, ctx);
    const Worker = await gated(audit + "export default class { constructor(ctx, env) { this.env = env; }\n" +
                               "  async queue(batch) { audit('batch'); } };", { producers: ["AUDIT"] });
    await new Worker(ctx, { AUDIT: slowQueue() }).queue({ messages: [{ id: "m1" }] });
  });
  assert.equal(told.length, 2, told.join("\n"));
  assert.match(told[0], /^flareq: env\.AUDIT\.send\(\) was still in flight when fetch\(\) returned/);
  assert.match(told[1], /^flareq: env\.AUDIT\.send\(\) was still in flight when queue\(\) returned/);
});

test("the Worker's Durable Object and Workflow classes get the handlers' env, also through cloudflare:workers in their methods", async () => {
  const source = "import { env } from './workers.mjs';\n" +
    "class Base { constructor(ctx, env) { this.env = env; this.built = env.NAME; } inherited() { return env.NAME; } }\n" +
    "export class Archive extends Base { static kind = 'object'; async store(key) { return [key, this.env.NAME, env.NAME]; } }\n" +
    "export class Untouched extends Base {}\n" +
    "export const notAClass = 42;\n" +
    "export default { fetch() { return new Response('ok'); } };";
  const mod = await gatedModule(source, { classes: ["Archive", "notAClass"] });
  const archive = new mod.Archive(ctx, { NAME: "the handlers' env" });
  assert.equal(mod.Archive.name, "Archive");
  assert.equal(mod.Archive.kind, "object", "its static fields are the class's");
  assert.ok(archive instanceof mod.Archive);
  assert.equal(archive.built, "the handlers' env");
  assert.deepEqual(await archive.store("k"), ["k", "the handlers' env", "the handlers' env"]);
  assert.equal(archive.inherited(), "the handlers' env", "a method of an ancestor class runs under its env too");
  assert.equal(mod.notAClass, 42, "anything but a class is exported as it is");
  assert.equal(new mod.Untouched(ctx, { NAME: "x" }).inherited(), undefined, "a class the config does not name is the Worker's own");
});

test("the Worker's named WorkerEntrypoint classes report their R2 writes: through this.env, the imported env, an ancestor's method", async () => {
  const source = "import { env, WorkerEntrypoint } from './workers.mjs';\n" +
    "class Shared extends WorkerEntrypoint { inherited(key) { return env.PHOTOS.put(key, 'i'); } }\n" +
    "export class Uploader extends Shared { store(key) { return this.env.PHOTOS.put(key, 's'); }\n" +
    "  imported(key) { return env.PHOTOS.put(key, 'x'); } }\n" +
    "export class Other extends Shared {}\n" +
    "export default { fetch() { return new Response('ok'); } };";
  const mod = await gatedModule(source, { buckets: { PHOTOS: "photos" } });
  const reported = [];
  const runtimeEnv = () => ({
    PHOTOS: { put: async (key) => ({ key, size: 1, etag: "e" }) },
    [EVENTS_BINDING]: { fetch: async (url, init) => { reported.push(JSON.parse(init.body).key); return new Response("{}"); } },
  });
  const uploader = new mod.Uploader(ctx, runtimeEnv());
  await uploader.store("a");
  await uploader.imported("b");
  await uploader.inherited("c");
  await new mod.Other(ctx, runtimeEnv()).inherited("d");
  assert.deepEqual(reported, ["a", "b", "c", "d"]);
  assert.equal(uploader.env[EVENTS_BINDING], undefined, "this.env is the one the handlers get, without flareq's service");
  assert.equal(mod.Uploader.name, "Uploader");
  const frozen = await gatedModule("import { WorkerEntrypoint } from './workers.mjs';\n" +
    "export class Sealed extends WorkerEntrypoint { ping() { return 'pong'; } }\nObject.freeze(Sealed.prototype);\n" +
    "export default { fetch() { return new Response('ok'); } };");
  assert.equal(new frozen.Sealed(ctx, {}).ping(), "pong", "a frozen class loads and runs as it is");
});

test("a Workflow's step functions, which the runtime calls back from outside run(), get the env too", async () => {
  const source = "import { env, WorkflowEntrypoint } from './workers.mjs';\n" +
    "export class Flow extends WorkflowEntrypoint { async run(event, step) { return step.do('read', async () => env.NAME); } }\n" +
    "export default {};";
  const mod = await gatedModule(source, { classes: ["Flow"] });
  // The runtime's step is an RPC stub (a function whose properties are remote): its do() calls
  // the step's function back in a context of its own, here the module's top level's.
  const outside = AsyncResource.bind((callback) => callback());
  const step = Object.assign(() => {}, { do: (name, callback) => outside(callback) });
  assert.equal(await new mod.Flow(ctx, { NAME: "the handlers' env" }).run({}, step), "the handlers' env");
});
