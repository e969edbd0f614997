// flareq/testing: starts `flareq dev` for a test (free ports, a fresh temporary state file) and
// drives it through its API: send, look into queues, wait until they are drained, move the
// virtual clock, inject faults, replay a dead letter queue. Works with any test runner.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { deserialize } from "node:v8";
import { binaryEnv, findBinary } from "../lib/binary.js";

const ACCOUNT = "flareq-testing";  // flareq accepts any account id
// dev processes (and their temporary directories) to end if the test process exits without
// stop(). A dev once ready does not keep the test process alive (a forgotten stop() would hang
// the runner after the last test): it ends with the process, which says so.
const running = new Map();
let exitHookInstalled = false;

function stopAllOnExit() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    if (running.size)
      process.stderr.write(`flareq/testing: ${running.size} flareq dev started by startFlareq() ${running.size > 1 ? "were" : "was"} ` +
                           "not stopped; stopped now, as the test process ends (call `await fq.stop()` in an after hook)\n");
    for (const [child, dir] of running) {
      child.kill("SIGKILL");
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
}

// flareq's API answers in Cloudflare's envelope; an unsuccessful answer becomes an Error
// carrying flareq's message, its code and the HTTP status.
class FlareqError extends Error {
  constructor(message, { status, code } = {}) {
    super(message);
    this.name = "FlareqError";
    this.status = status;
    this.code = code;
  }
}

// options.config: one config, or several (Workers that call each other, each run as by a -c).
const configsOf = (options) => [options.config ?? []].flat();

function devArguments(options, dir) {
  const args = ["--state", join(dir, "state.sqlite")];
  for (const config of configsOf(options)) args.push("--config", resolve(config));
  if (options.env) args.push("--env", options.env);
  args.push("dev", "--port", "0", "--port-file", join(dir, "port"));
  if (options.worker === false) args.push("--no-worker");
  else args.push("--worker-port", "0", "--worker-port-file", join(dir, "worker-port"));
  if (options.virtualClock) args.push("--virtual-clock");
  for (const [queue, consumer] of Object.entries(options.consumers ?? {})) {
    const { command, persistent } = typeof consumer === "string" ? { command: consumer } : consumer;
    args.push(persistent ? "--consumer-persistent" : "--consumer", `${queue}=${command}`);
  }
  for (const queue of options.httpPull ?? []) args.push("--http-pull", queue);
  args.push(...(options.args ?? []));
  return args;
}

function readPort(file) {
  try {
    const text = readFileSync(file, "utf8").trim();
    return text ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

// Resolves once dev has written its port file (after the Worker, if any, is ready); rejects with
// dev's log when it exits first or takes longer than timeoutMs.
function whenReady(child, dir, log, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const fail = (why) => {
      clearInterval(timer);
      child.off("exit", onExit);
      reject(new FlareqError(`flareq dev ${why}. Its output:\n${log.text()}`));
    };
    const onExit = (code, signal) => fail(`exited (${signal ?? `status ${code}`}) before it was ready`);
    const timer = setInterval(() => {
      const port = readPort(join(dir, "port"));
      if (port) {
        clearInterval(timer);
        child.off("exit", onExit);
        resolvePromise({ port, workerPort: readPort(join(dir, "worker-port")) });
      } else if (Date.now() - started > timeoutMs) {
        child.kill("SIGKILL");
        fail(`was not ready after ${timeoutMs / 1000} s`);
      }
    }, 25);
    child.on("exit", onExit);
  });
}

function collectLog(child, onLog) {
  const lines = [];
  let partial = { stdout: "", stderr: "" };
  const take = (stream) => (chunk) => {
    const text = partial[stream] + chunk.toString("utf8");
    const parts = text.split("\n");
    partial[stream] = parts.pop();
    for (const line of parts) {
      lines.push(line);
      onLog?.(line);
    }
  };
  child.stdout.on("data", take("stdout"));
  child.stderr.on("data", take("stderr"));
  return { text: () => [...lines, ...Object.values(partial).filter(Boolean)].join("\n") };
}

// A message as a test wants to see it: its body decoded by its content type.
function decodeBody(message) {
  const raw = Buffer.from(message.body_base64 ?? "", "base64");
  switch (message.content_type) {
    case "json":
      return JSON.parse(raw.toString("utf8"));
    case "text":
      return raw.toString("utf8");
    case "v8":
      try {
        return deserialize(raw);
      } catch {
        return new Uint8Array(raw);
      }
    default:
      return new Uint8Array(raw);
  }
}

function outgoing(body, { contentType, delaySeconds } = {}) {
  const bytes = body instanceof Uint8Array || body instanceof ArrayBuffer;
  const type = contentType ?? (bytes ? "bytes" : "json");
  const message = { content_type: type };
  if (type === "bytes" || type === "v8") message.body = Buffer.from(bytes ? new Uint8Array(body) : body).toString("base64");
  else message.body = body;
  if (delaySeconds !== undefined) message.delay_seconds = delaySeconds;
  return message;
}

class Flareq {
  constructor({ child, dir, log, port, workerPort, keepState }) {
    this.apiUrl = `http://127.0.0.1:${port}`;
    this.workerUrl = workerPort ? `http://127.0.0.1:${workerPort}` : null;
    this.statePath = join(dir, "state.sqlite");
    this.pid = child.pid;
    this.time = {
      advance: (by) => this.#call("POST", "flareq/time/advance", typeof by === "number" ? { ms: by } : { by }),
      reset: () => this.#call("POST", "flareq/time/reset", {}),
      now: async () => (await this.#call("GET", "flareq/time")).now_ms,
    };
    this.faults = {
      set: (queue, faults = {}) => this.#call("POST", "flareq/faults", faultBody(queue, faults)),
      clear: () => this.#call("DELETE", "flareq/faults"),
      list: () => this.#call("GET", "flareq/faults"),
    };
    this.dlq = {
      list: (queue, options) => this.messages(queue, options),
      replay: (queue, { to, limit, ids, olderThanSecs, dryRun } = {}) =>
        this.#call("POST", `queues/${enc(queue)}/replay`,
                   dropUndefined({ to, limit, ids, older_than_secs: olderThanSecs, dry_run: dryRun })),
    };
    this.#child = child;
    this.#dir = dir;
    this.#log = log;
    this.#keepState = keepState;
    this.#exited = new Promise((done) => child.once("exit", (code, signal) => done({ code, signal })));
  }

  #child;
  #dir;
  #log;
  #keepState;
  #exited;
  #stopping;

  async #call(method, path, body) {
    const response = await fetch(`${this.apiUrl}/client/v4/accounts/${ACCOUNT}/${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let envelope;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw new FlareqError(`flareq answered ${method} ${path} with ${response.status} and no JSON: ${text.slice(0, 200)}`,
                            { status: response.status });
    }
    if (!envelope.success) {
      const [first] = envelope.errors ?? [];
      throw new FlareqError((envelope.errors ?? []).map((e) => e.message).join("; ") || `HTTP ${response.status}`,
                            { status: response.status, code: first?.code });
    }
    return envelope.result;
  }

  // R2 writes from outside the Worker, made through the Worker that binds the bucket (as
  // `flareq r2 object put|delete`): the object lands where the Worker reads, and the bucket's
  // event notifications follow, committed before these resolve. put() resolves to {key, size,
  // etag}.
  get r2() {
    const call = async (method, bucket, key, body, contentType) => {
      const response = await fetch(`${this.apiUrl}/client/v4/flareq/r2/buckets/${enc(bucket)}/objects?key=${enc(key)}`, {
        method, body, headers: contentType ? { "content-type": contentType } : {},
      });
      const envelope = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
      if (!envelope.success) {
        const [first] = envelope.errors ?? [];
        throw new FlareqError(first?.message ?? `HTTP ${response.status}`, { status: response.status, code: first?.code });
      }
      return envelope.result;
    };
    return {
      put: (bucket, key, body, { contentType } = {}) => call("PUT", bucket, key, body, contentType),
      delete: async (bucket, key) => { await call("DELETE", bucket, key); },
    };
  }

  // fetch() against the Worker: a path is taken relative to its URL.
  fetch(path, init) {
    if (!this.workerUrl) throw new FlareqError("this flareq runs no Worker (no \"main\" in the config, or worker: false)");
    return fetch(new URL(path, this.workerUrl), init);
  }

  send(queue, body, options) {
    return this.#call("POST", `queues/${enc(queue)}/messages`, outgoing(body, options));
  }

  sendBatch(queue, messages, { delaySeconds } = {}) {
    return this.#call("POST", `queues/${enc(queue)}/messages/batch`,
                      dropUndefined({ messages: messages.map((m) => outgoing(m.body, m)), delay_seconds: delaySeconds }));
  }

  // The messages a queue holds (oldest first), with their bodies decoded; state narrows them to
  // "ready", "delayed" or "leased".
  async messages(queue, { state, limit = Infinity } = {}) {
    const out = [];
    let cursor;
    do {
      const query = new URLSearchParams(dropUndefined({ state, cursor, limit: String(Math.min(200, limit - out.length)) }));
      const page = await this.#call("GET", `queues/${enc(queue)}/flareq/messages?${query}`);
      for (const item of page.messages) {
        const full = await this.#call("GET", `queues/${enc(queue)}/flareq/messages/${enc(item.ref)}`);
        out.push({
          id: full.id,
          body: decodeBody(full),
          contentType: full.content_type,
          attempts: full.attempts,
          state: full.state,
          timestamp: new Date(full.timestamp_ms),
          ...(full.origin_queue ? { originQueue: full.origin_queue } : {}),
          ...(full.last_error ? { lastError: full.last_error } : {}),
        });
      }
      cursor = page.next ?? undefined;
    } while (cursor && out.length < limit);
    return out;
  }

  // Closes the open batch windows of the queues (all with a consumer when none is named), so
  // that their partial batches go out now rather than after max_batch_timeout.
  async flush(queue) {
    const names = queue === undefined ? consumed(await this.#call("GET", "flareq/overview")).map((q) => q.queue_name)
                                      : [queue].flat();
    for (const name of names)
      await this.#call("POST", `queues/${enc(name)}/flush`, {});
  }

  // Resolves once the queues (all with a consumer when none is named) hold no ready, delayed or
  // leased message. Open batch windows are flushed as it waits; delayed messages wait for their
  // time, which under a virtual clock only time.advance() brings: with advanceTime, waitIdle
  // moves the virtual clock itself to the next message due, as often as it takes (retries with
  // delays, and on to a dead letter queue). Rejects, naming what is left, after timeoutMs; at
  // once (after a second without change) when all that is left is delayed under a virtual clock
  // that nothing moves, saying how far to advance it.
  async waitIdle(queue, { timeoutMs = 30000, advanceTime = false } = {}) {
    const names = queue === undefined ? null : [queue].flat();
    const deadline = Date.now() + timeoutMs;
    let stuck;  // { now: the virtual time, since: Date.now() } while only delayed messages are left
    for (;;) {
      const overview = await this.#call("GET", "flareq/overview");
      const watched = names ? overview.queues.filter((q) => names.includes(q.queue_name) || names.includes(q.queue_id))
                            : consumed(overview);
      if (names) {
        const unknown = names.filter((n) => !watched.some((q) => q.queue_name === n || q.queue_id === n));
        if (unknown.length) throw new FlareqError(`waitIdle: no queue named ${unknown.join(", ")}`);
      }
      const busy = watched.filter((q) => q.backlog.count > 0);
      if (busy.length === 0) return;
      const left = busy.map((q) => `${q.queue_name}: ${backlogText(q)}`).join("; ");
      const onlyDelayed = overview.clock.frozen && busy.every((q) => !q.backlog.ready && !q.backlog.leased);
      if (onlyDelayed && advanceTime) {
        const due = Math.min(...await Promise.all(busy.map((q) => this.#firstDue(q.queue_name))));
        if (Number.isFinite(due)) await this.time.advance(Math.max(due - overview.clock.now_ms, 1));
      } else if (!onlyDelayed || stuck?.now !== overview.clock.now_ms) stuck = onlyDelayed ? { now: overview.clock.now_ms, since: Date.now() } : undefined;
      else if (Date.now() - stuck.since >= 1000) {
        const due = Math.min(...await Promise.all(busy.map((q) => this.#firstDue(q.queue_name))));
        throw new FlareqError(`waitIdle: the messages left are delayed and the clock is virtual, so only time.advance() ` +
                              `brings them (${left}); the first is due in ${(due - stuck.now) / 1000} s ` +
                              `(waitIdle(queue, { advanceTime: true }) moves the clock as far as it takes)`);
      }
      if (Date.now() >= deadline) {
        const clock = overview.clock.frozen ? " (the clock is virtual: delayed messages wait for time.advance())" : "";
        throw new FlareqError(`waitIdle timed out after ${timeoutMs / 1000} s with messages left: ${left}${clock}`);
      }
      for (const q of busy) if (q.backlog.ready > 0) await this.#call("POST", `queues/${enc(q.queue_name)}/flush`, {});
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // When the first delayed message of `queue` becomes visible (ms, in the clock's time).
  async #firstDue(queue) {
    let first = Infinity;
    let cursor;
    do {
      const query = new URLSearchParams(dropUndefined({ state: "delayed", cursor, limit: "200" }));
      const page = await this.#call("GET", `queues/${enc(queue)}/flareq/messages?${query}`);
      for (const m of page.messages) first = Math.min(first, m.visible_at_ms);
      cursor = page.next ?? undefined;
    } while (cursor);
    return first;
  }

  // Everything dev has printed so far: the Worker's console, the QUEUE lines, errors.
  logs() {
    return this.#log.text();
  }

  // Stops dev (as Ctrl-C does: batches in flight finish first) and removes its state file,
  // unless keepState was asked for. Kills it if it has not stopped after timeoutMs.
  stop({ timeoutMs = 30000 } = {}) {
    this.#stopping ??= (async () => {
      if (this.#child.exitCode === null && this.#child.signalCode === null) {
        this.#child.kill("SIGTERM");
        const timer = setTimeout(() => this.#child.kill("SIGKILL"), timeoutMs);
        await this.#exited;
        clearTimeout(timer);
      }
      running.delete(this.#child);
      if (!this.#keepState) rmSync(this.#dir, { recursive: true, force: true });
      return { code: this.#child.exitCode, signal: this.#child.signalCode };
    })();
    return this.#stopping;
  }

  [Symbol.asyncDispose]() {
    return this.stop();
  }

}

// The queues a call that names none acts on: those with a consumer.
function consumed(overview) {
  return overview.queues.filter((q) => q.consumer !== null);
}

function backlogText(q) {
  const { ready, delayed, leased } = q.backlog;
  const parts = [];
  if (ready) parts.push(`${ready} ready`);
  if (delayed) parts.push(`${delayed} delayed`);
  if (leased) parts.push(`${leased} leased`);
  return parts.join(", ") + (q.settings.delivery_paused ? " (delivery paused)" : "");
}

function faultBody(queue, { fail, latency, crashHandler, pushErrors, seed }) {
  return dropUndefined({ queue, fail, latency, crash_handler: crashHandler, push_errors: pushErrors, seed });
}

function dropUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

const enc = encodeURIComponent;

export async function startFlareq(options = {}) {
  // A test file picked up by the Workers pool of @cloudflare/vitest-plugin runs inside workerd,
  // whose node:fs is a virtual one (the config would look missing) and which starts no process.
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers")
    throw new FlareqError("flareq/testing starts flareq dev as a process, so it runs in Node.js, and this test runs " +
                          "inside workerd (the Workers pool of @cloudflare/vitest-plugin): give flareq's tests a vitest " +
                          "project of their own, without that plugin (README, \"Tests in JavaScript\")");
  if (![undefined, "fresh", "project"].includes(options.workerData))
    throw new FlareqError(`workerData is "fresh" or "project", not ${JSON.stringify(options.workerData)}`);
  const dir = mkdtempSync(join(tmpdir(), "flareq-test-"));
  const configs = configsOf(options);
  const cwd = options.cwd ?? (configs.length ? dirname(resolve(configs[0])) : process.cwd());
  let child;
  try {
    for (const config of configs) if (!existsSync(config)) throw new FlareqError(`config ${config} does not exist`);
    child = spawn(options.binary ?? findBinary(), devArguments(options, dir), {
      cwd,
      // dev's temporary files (its Worker hosts', Miniflare's) in the test's directory, which dev
      // removes as it ends (FLAREQ_TESTING_DIR), also when the test process ended without stop()
      // and without running its exit hooks (vitest's workers, bun test), unless keepState.
      // Its Workers' dev registry is the test's own: a Worker of the test is not taken for the
      // one of a wrangler dev or flareq dev running beside it, nor the other way round.
      // So are its Worker's KV, D1, R2 and Durable Object data, unless the project's are asked for.
      env: binaryEnv({ ...process.env, TMPDIR: dir, WRANGLER_REGISTRY_PATH: join(dir, "registry"),
                       ...(options.workerData === "project" ? {} : { FLAREQ_WORKER_PERSIST: join(dir, "worker-data") }),
                       ...(options.keepState ? {} : { FLAREQ_TESTING_DIR: dir }), ...options.processEnv }),
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err instanceof FlareqError ? err : new FlareqError(err.message);
  }
  stopAllOnExit();
  running.set(child, options.keepState ? null : dir);
  const log = collectLog(child, options.onLog);
  const spawned = new Promise((ok, fail) => {
    child.once("spawn", ok);
    child.once("error", (err) => fail(new FlareqError(`cannot run flareq: ${err.message}`)));
  });
  try {
    await spawned;
    const { port, workerPort } = await whenReady(child, dir, log, options.startTimeoutMs ?? 120000);
    child.unref();
    child.stdout.unref();
    child.stderr.unref();
    return new Flareq({ child, dir, log, port, workerPort, keepState: options.keepState });
  } catch (err) {
    child.kill("SIGKILL");
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export { FlareqError };
