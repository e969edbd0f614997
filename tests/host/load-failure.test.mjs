// load-failure.mjs on its own, in Node.js: a Worker that threw while it loaded, as the runtime
// says it in each shape it has (its stderr's JSON line, wrangler's coloured log line), pointed
// back at the user's file through a source map beside wrangler's bundle; and what the host
// answers for the Worker while it waits for the fix.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { answerForTheWorker, describeLoadThrow, isLoadThrow, onNextBuild } from "../../worker/load-failure.mjs";

const project = mkdtempSync(join(tmpdir(), "flareq-load-failure-"));
after(() => rmSync(project, { recursive: true, force: true }));

// A bundle whose line 3, column 5 came from src/index.ts line 1, column 7 (mappings: line 3's
// only segment, "IAAM": generated column 4, source 0, line 0, column 6).
const bundle = join(project, ".wrangler", "tmp", "dev-abc123");
mkdirSync(bundle, { recursive: true });
writeFileSync(join(bundle, "index.js"), "// header\n// header\n    throw new Error('x');\n");
writeFileSync(join(bundle, "index.js.map"),
              JSON.stringify({ version: 3, sources: ["../../../src/index.ts"], names: [], mappings: ";;IAAM" }));

const sentence = "the Worker threw while it loaded (its modules' top-level code runs then): " +
                 "Uncaught Error: a \"quoted\" word\n    at src/index.ts:1:7";

test("the runtime's JSON line names the user's file, line and column", () => {
  const line = '{"level":"error","message":"service core:user:shop: Uncaught Error: a \\"quoted\\" word\\n  at file:///bundle/index.js:3:5"}';
  assert.ok(isLoadThrow(line));
  assert.equal(describeLoadThrow(line, project), sentence);
});

test("wrangler's coloured line, with a frame of the bare bundle name, says the same", () => {
  const line = "\x1b[31m✘ [ERROR] service core:user:shop: Uncaught Error: a \"quoted\" word\x1b[0m\n\n    at index.js:3:5";
  assert.equal(describeLoadThrow(line, project), sentence);
});

test("a place no map knows is the bundle's, and other failures are not this one", () => {
  const line = "service core:user:shop: Uncaught Error: a \"quoted\" word\n  at file:///bundle/other.js:9:1";
  assert.match(describeLoadThrow(line, project), /\n {4}at other\.js:9:1 of wrangler's bundle$/);
  assert.equal(describeLoadThrow("The Workers runtime failed to start: Address already in use", project), undefined);
  assert.equal(isLoadThrow(undefined), false);
});

// A loopback port free a moment ago.
async function freePort() {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.on("listening", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("while it waits, the host answers the Worker's requests with why, and its batches with not loaded", async () => {
  const servers = answerForTheWorker({ runtimePort: 0, deliveryPort: 0, why: "it threw" });
  assert.equal(servers.length, 0, "no port: nothing served");
  const [runtimePort, deliveryPort] = [await freePort(), await freePort()];
  const [runtime, delivery] = answerForTheWorker({ runtimePort, deliveryPort, why: "it threw" });
  await Promise.all([runtime, delivery].map((s) => new Promise((resolve) => s.listening ? resolve() : s.on("listening", resolve))));
  try {
    const page = await fetch(`http://127.0.0.1:${runtimePort}/any`);
    assert.equal(page.status, 503);
    assert.equal(await page.text(), "it threw\n");
    const batch = await fetch(`http://127.0.0.1:${deliveryPort}/`, { method: "POST", body: "{}" });
    assert.equal(batch.status, 503);
    assert.equal(batch.headers.get("x-flareq-not-loaded"), "1");
  } finally {
    runtime.close();
    delivery.close();
  }
});

test("the wait ends when wrangler writes the next bundle; with no bundle folder there is no wait", async () => {
  assert.equal(onNextBuild(join(project, "nowhere"), () => {}), false);
  const built = new Promise((resolve) => assert.equal(onNextBuild(project, resolve), true));
  writeFileSync(join(bundle, "index.js.map"), "{}");  // a map is written too; the bundle is what counts
  writeFileSync(join(bundle, "index.js"), "export default {};\n");
  await built;
});
