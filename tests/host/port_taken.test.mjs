// The Worker host's report when the port flareq chose for the runtime is taken before workerd
// binds it: {"error", "code": "EADDRINUSE"} in its ready file, the code flareq dev starts the
// host again on other ports for (cli/dev_workers.cpp), rather than a sentence to search.
// Run by CTest with the Node.js the host needs (FLAREQ_HOST_NODE).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { eventually } from "../eventually.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "..", "..");

function listen(port = 0) {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

test("a taken runtime port is reported with the code EADDRINUSE", async () => {
  const dir = mkdtempSync(join(tmpdir(), "flareq-test-host-"));
  const taken = await listen();
  const spare = await listen();
  const deliveryPort = spare.address().port;
  await new Promise((r) => spare.close(r));
  try {
    cpSync(join(source, "tests", "workers", "no-queue"), join(dir, "project"), { recursive: true });
    const ready = join(dir, "ready.json");
    const host = spawn(process.env.FLAREQ_HOST_NODE ?? process.execPath, [join(source, "worker", "host.mjs")], {
      cwd: join(dir, "project"),
      detached: true,  // a process group of its own, killed whole below (the host and its workerd)
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        FLAREQ_WORKER_CONFIG: join(dir, "project", "wrangler.jsonc"),
        FLAREQ_WORKER_ENV: "",
        FLAREQ_WORKER_RUNTIME_PORT: String(taken.address().port),
        FLAREQ_WORKER_DELIVERY_PORT: String(deliveryPort),
        FLAREQ_WORKER_DELIVERY_SECRET: "secret",
        FLAREQ_API_URL: "http://127.0.0.1:9",
        FLAREQ_API_TOKEN: "",
        FLAREQ_WORKER_READY: ready,
      },
    });
    let output = "";
    host.stdout.on("data", (d) => (output += d));
    host.stderr.on("data", (d) => (output += d));
    const exited = new Promise((resolve) => host.on("exit", resolve));
    try {
      await eventually(() => existsSync(ready), 60000, `the host's report:\n${output}`);
    } finally {
      try {
        process.kill(-host.pid, "SIGKILL");
      } catch {}  // already gone
      await exited;
    }
    const report = JSON.parse(readFileSync(ready, "utf8"));
    assert.equal(report.code, "EADDRINUSE", JSON.stringify(report));
    assert.match(report.error, /did not start/);
  } finally {
    await new Promise((r) => taken.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
