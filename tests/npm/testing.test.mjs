// flareq/testing, driven as a user's node:test file drives it: start dev on a Worker project,
// send, wait, move the virtual clock, inject faults, replay the dead letter queue, stop, and
// leave no process behind, also when the test process itself is killed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FlareqError, startFlareq } from "../../npm/flareq/testing/index.mjs";
import { eventually } from "../eventually.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const testingModule = join(here, "..", "..", "npm", "flareq", "testing", "index.mjs");
// A copy of the tests' Worker: wrangler keeps the Worker's storage in .wrangler/ beside its
// config, which must not land in the source tree (other tests copy the project from there).
const project = mkdtempSync(join(tmpdir(), "flareq-testing-project-"));
cpSync(join(here, "..", "workers", "js"), project, { recursive: true });
const workerConfig = join(project, "wrangler.jsonc");
after(() => rmSync(project, { recursive: true, force: true }));

// Running, and not a zombie that nobody has reaped yet.
function alive(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("a Worker project under a virtual clock", () => {
  let fq;
  before(async () => {
    fq = await startFlareq({ config: workerConfig, virtualClock: true });
  });
  after(() => fq?.stop());

  test("a job sent through the Worker's fetch() reaches its queue()", async () => {
    assert.match(fq.workerUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fq.fetch("/job?action=ack&tag=through-fetch");
    assert.equal(response.status, 200);
    await fq.waitIdle("jobs");
    const results = await fq.messages("results");
    const seen = results.find((m) => m.body.tag === "through-fetch");
    assert.ok(seen, `results: ${JSON.stringify(results)}`);
    assert.equal(seen.body.attempts, 1);
    assert.equal(seen.contentType, "json");
    assert.match(fq.logs(), /queue\(\) got through-fetch/);
  });

  test("a delayed message waits for time.advance()", async () => {
    await fq.send("jobs", { action: "ack", tag: "later" }, { delaySeconds: 600 });
    const [delayed] = await fq.messages("jobs", { state: "delayed" });
    assert.equal(delayed.body.tag, "later");
    await assert.rejects(fq.waitIdle("jobs", { timeoutMs: 200 }),
                         (err) => err instanceof FlareqError && /1 delayed/.test(err.message) && /virtual/.test(err.message));
    // Nothing but time.advance() can bring it: waitIdle says so, and how far, long before its timeout.
    await assert.rejects(fq.waitIdle("jobs", { timeoutMs: 120000 }),
                         (err) => err instanceof FlareqError && err.message.includes(
                           "the messages left are delayed and the clock is virtual, so only time.advance() brings them " +
                           "(jobs: 1 delayed); the first is due in 600 s"));
    const before = await fq.time.now();
    await fq.time.advance("10m");
    assert.ok((await fq.time.now()) - before >= 600000);
    await fq.waitIdle("jobs");
    assert.ok((await fq.messages("results")).some((m) => m.body.tag === "later"));
  });

  test("injected failures send a message to the dead letter queue, and replay brings it back", async () => {
    await fq.faults.set("jobs", { fail: 1, seed: 7 });
    await fq.fetch("/job?action=ack&tag=doomed");
    await fq.waitIdle("jobs");
    const [dead] = await fq.dlq.list("jobs-dlq");
    assert.equal(dead.body.tag, "doomed");
    assert.equal(dead.originQueue, "jobs");
    await fq.faults.clear();
    const replay = await fq.dlq.replay("jobs-dlq");
    assert.equal(replay.moved, 1);
    await fq.waitIdle("jobs");
    assert.deepEqual(await fq.dlq.list("jobs-dlq"), []);
  });

  test("waitIdle with advanceTime moves the clock through retry delays to the dead letter queue", async () => {
    const before = await fq.time.now();
    await fq.fetch("/job?action=retry-delay&tag=patient");  // retried with delaySeconds 600, max_retries 2
    await fq.waitIdle("jobs", { advanceTime: true, timeoutMs: 20000 });
    const dead = (await fq.dlq.list("jobs-dlq")).find((m) => m.body.tag === "patient");
    assert.ok(dead, "the message is in the dead letter queue");
    assert.equal(fq.logs().match(/queue\(\) got patient/g)?.length, 3, fq.logs());
    // Two retry delays, and no more than it took.
    const moved = (await fq.time.now()) - before;
    assert.ok(moved >= 1200000 && moved < 1260000, `the clock moved ${moved} ms`);
  });

  test("errors carry flareq's message and status", async () => {
    await assert.rejects(fq.send("no-such-queue", { a: 1 }),
                         (err) => err instanceof FlareqError && err.status === 404 && /no-such-queue/.test(err.message));
    await assert.rejects(fq.time.advance("soon"), (err) => err instanceof FlareqError && err.status === 400);
  });
});

// What a DevTools session on `--inspector-port` sees while the Worker's queue() runs: its console
// calls, through wrangler's inspector proxy (the `ws` client that wrangler
// itself uses, since the proxy asks for an Origin and closes without a handshake).
test("--inspector-port gives DevTools the Worker, its queue() included", async () => {
  const { default: WebSocket } = await import(join(here, "..", "..", "worker", "node_modules", "ws", "index.js"));
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  const fq = await startFlareq({ config: workerConfig, args: ["--inspector-port", String(port)] });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Origin: `http://127.0.0.1:${port}` } });
  try {
    const logged = [];
    ws.on("message", (data) => {
      const m = JSON.parse(data);
      if (m.method === "Runtime.consoleAPICalled") logged.push(m.params.args.map((a) => a.value).join(" "));
    });
    await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("error", reject); });
    ws.send(JSON.stringify({ id: 1, method: "Runtime.enable" }));
    await new Promise((resolve) => setTimeout(resolve, 500));  // Runtime.enable reaches the runtime
    assert.equal((await fq.fetch("/job?action=ack&tag=under-the-debugger")).status, 200);
    await fq.waitIdle("jobs");
    await eventually(() => logged.includes("queue() got under-the-debugger"), 10000,
                     "queue()'s console.log in the DevTools session");
  } finally {
    ws.terminate();
    await fq.stop();
  }
});

test("process consumers, a batch of sends, bytes, and stop() leaving nothing behind", async () => {
  const fq = await startFlareq({ config: workerConfig, worker: false, consumers: { jobs: "cat >/dev/null" } });
  assert.equal(fq.workerUrl, null);
  await fq.sendBatch("jobs", [{ body: { n: 1 } }, { body: "two", contentType: "text" }]);
  await fq.send("inbox", new Uint8Array([1, 2, 255]));
  const [bytes] = await fq.messages("inbox");
  assert.deepEqual(bytes.body, new Uint8Array([1, 2, 255]));
  await fq.waitIdle("jobs");
  const pid = fq.pid;
  const { code } = await fq.stop();
  assert.equal(code, 0, fq.logs());
  assert.equal(alive(pid), false);
});

test("a test run inside workerd (the Workers pool of @cloudflare/vitest-plugin) is told to run in Node.js", async () => {
  const own = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: { userAgent: "Cloudflare-Workers" }, configurable: true });
  try {
    await assert.rejects(startFlareq({ config: workerConfig }),
                         (err) => err instanceof FlareqError && /runs in Node\.js, and this test runs inside workerd/.test(err.message));
  } finally {
    if (own) Object.defineProperty(globalThis, "navigator", own);
    else delete globalThis.navigator;
  }
});

test("a start that fails rejects with dev's output", async () => {
  const dir = mkdtempSync(join(tmpdir(), "flareq-testing-"));
  try {
    writeFileSync(join(dir, "wrangler.jsonc"), '{\n  "name": "broken",\n  "queues": { "consumers": [ { "queue": 7 } ] }\n}\n');
    await assert.rejects(startFlareq({ config: join(dir, "wrangler.jsonc") }),
                         (err) => err instanceof FlareqError && /exited/.test(err.message) && /wrangler\.jsonc:3/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A test process of its own that starts dev on the tests' Worker config (queues only), prints
// dev's pid, then runs `rest`; its temporary files go to a directory of the test's.
async function testProcess(rest, tmp) {
  const script = `
    const { startFlareq } = await import(${JSON.stringify(testingModule)});
    const fq = await startFlareq({ config: ${JSON.stringify(workerConfig)}, worker: false });
    console.log(fq.pid);
    ${rest}`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script],
                      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TMPDIR: tmp } });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const devPid = await new Promise((resolve, reject) => {
    child.stdout.once("data", (chunk) => resolve(Number(chunk.toString().trim())));
    child.once("exit", (code) => reject(new Error(`the test process exited (${code}) before dev started: ${stderr}`)));
  });
  return { child, devPid, exited, stderr: () => stderr };
}

// Its exit hooks do not run, as when vitest ends its workers or bun test its run: dev removes
// startFlareq's temporary directory itself.
test("a test process killed with SIGKILL takes its flareq dev and dev's files with it", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "flareq-testing-tmp-"));
  try {
    const { child, devPid } = await testProcess("setInterval(() => {}, 1000);", tmp);
    assert.ok(alive(devPid));
    assert.equal(readdirSync(tmp).filter((f) => f.startsWith("flareq-test-")).length, 1);
    child.kill("SIGKILL");
    await eventually(() => !alive(devPid), 15000, `dev (pid ${devPid}) ends with the test process`);
    assert.deepEqual(readdirSync(tmp), [], "startFlareq's temporary directory is removed");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// A forgotten stop() neither hangs the runner after the last test (dev does not keep the test
// process alive) nor leaves dev or its files behind, and the test process says what was missing.
test("a test that never calls stop() ends, and its dev and files with it", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "flareq-testing-tmp-"));
  try {
    const { devPid, exited, stderr } = await testProcess("await fq.send(\"jobs\", { n: 1 });", tmp);
    const stillRunning = new Promise((resolve) => setTimeout(() => resolve("still running"), 20000));
    const end = await Promise.race([exited, stillRunning]);
    assert.deepEqual(end, { code: 0, signal: null }, stderr());
    assert.match(stderr(), /flareq\/testing: 1 flareq dev started by startFlareq\(\) was not stopped; stopped now/);
    await eventually(() => !alive(devPid), 15000, `dev (pid ${devPid}) ends with the test process`);
    assert.deepEqual(readdirSync(tmp), [], "startFlareq's temporary directory is removed");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// The backend counts each message it consumes in its Durable Object: what a start finds there
// says whose data the Worker has.
test("several configs run in one dev; each start's Worker data is fresh unless the project's is asked for", async () => {
  const services = mkdtempSync(join(tmpdir(), "flareq-testing-services-"));
  cpSync(join(here, "..", "workers", "services"), services, { recursive: true });
  const configs = [join(services, "gateway", "wrangler.jsonc"), join(services, "backend", "wrangler.jsonc")];
  // Starts dev on both configs, sends one message through the gateway, and says what the tally is then.
  async function tallyAfterOneSend(options) {
    const fq = await startFlareq({ config: configs, ...options });
    try {
      let rpc;
      await eventually(async () => (rpc = await (await fq.fetch("/rpc")).text()) === "5", 30000, "the backend's RPC through the gateway");
      await fq.fetch("/send");
      await fq.waitIdle("events");
      return await (await fq.fetch("/tally")).text();
    } finally {
      await fq.stop();
    }
  }
  try {
    assert.equal(await tallyAfterOneSend({}), "1");
    assert.equal(await tallyAfterOneSend({}), "1", "a fresh Durable Object again");
    assert.equal(await tallyAfterOneSend({ workerData: "project" }), "1");
    assert.equal(await tallyAfterOneSend({ workerData: "project" }), "2", "the project's .wrangler/state, kept");
    const tmp = mkdtempSync(join(tmpdir(), "flareq-testing-tmp-"));
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = tmp;  // where startFlareq would make its folder
    try {
      await assert.rejects(startFlareq({ config: configs, workerData: "shared" }), /workerData is "fresh" or "project"/);
      assert.deepEqual(readdirSync(tmp), [], "no folder made");
    } finally {
      if (tmpBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpBefore;
      rmSync(tmp, { recursive: true, force: true });
    }
  } finally {
    rmSync(services, { recursive: true, force: true });
  }
});

test("r2.put and r2.delete write through the Worker and its bucket's notifications follow", async () => {
  const r2Project = mkdtempSync(join(tmpdir(), "flareq-testing-r2-"));
  cpSync(join(here, "..", "workers", "r2"), r2Project, { recursive: true });
  const fq = await startFlareq({ config: join(r2Project, "wrangler.jsonc") });
  try {
    const put = await fq.r2.put("uploads", "images/from-a-test.png", "picture bytes", { contentType: "image/png" });
    assert.equal(put.size, 13);
    // Committed before put() resolved: there at once.
    const [message] = await fq.messages("uploads-pulled");
    assert.deepEqual(message.body.object, { key: "images/from-a-test.png", size: 13, eTag: put.etag });
    assert.equal(message.body.action, "PutObject");
    // The Worker reads what was written.
    assert.equal(await (await fq.fetch("/get/images/from-a-test.png")).text(), "picture bytes");
    await fq.r2.delete("uploads", "images/from-a-test.png");
    assert.equal((await fq.fetch("/get/images/from-a-test.png")).status, 404);
    await eventually(async () => (await fq.messages("results")).some((m) => m.body.action === "DeleteObject"), 30000,
                     "queue() to report the deletion");
    await assert.rejects(fq.r2.put("not-bound", "k", "x"), /no Worker of this flareq dev binds R2 bucket not-bound/);
  } finally {
    await fq.stop();
    rmSync(r2Project, { recursive: true, force: true });
  }
});
