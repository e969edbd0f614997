// The Worker host of `flareq dev`: runs one project's Worker in workerd through wrangler's
// own programmatic API (unstable_startWorker: the config mapped, the Worker bundled, watched
// and reloaded, its fetch() served and its other bindings given as `wrangler dev` gives them),
// with its Queue producer bindings sending to flareq. Batches for the Worker's queue() go from
// flareq straight to the delivery service in the runtime (delivery.worker.mjs). Where that
// service cannot be added, the host speaks flareq's persistent handler protocol instead: each
// stdin line is a batch, each stdout line the runtime's verdict on it. Everything else it and
// workerd print goes to stderr (the dev log).
//
// fetch() is served by the runtime itself on FLAREQ_WORKER_RUNTIME_PORT (loopback), behind
// flareq's Worker front, which owns the Worker's public port; wrangler's own proxy (a Durable
// Object every request queues through) is left idle on a port of its own.
//
// Environment: FLAREQ_WORKER_CONFIG (the wrangler config), FLAREQ_WORKER_ENV,
// FLAREQ_WORKER_RUNTIME_PORT (where the runtime listens), FLAREQ_WORKER_DELIVERY_PORT and
// FLAREQ_WORKER_DELIVERY_SECRET (where its delivery service listens, and what it asks of
// every request), FLAREQ_API_URL and FLAREQ_API_TOKEN (flareq),
// FLAREQ_WORKER_READY (a file: the host writes {"url", "delivery" or "deliveryUnavailable", …}
// or {"error"} there once it knows).
import { createRequire } from "node:module";
import { writeFileSync, renameSync, existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { isMark, toMetadata, toQueueMessage, toResult } from "./delivery.worker.mjs";
import { DELIVERY_SERVICE } from "./queue-plugin.mjs";

const protocolOut = process.stdout.write.bind(process.stdout);
// Only protocol lines go to stdout; all other output (wrangler's, workerd's, console.*) to stderr,
// without colours unless dev prints to a terminal (FORCE_COLOR=0 otherwise; some of wrangler's
// messages colour themselves regardless).
const errOut = process.stderr.write.bind(process.stderr);
const plain = (chunk) => (typeof chunk === "string" ? chunk.replace(/\x1b\[[0-9;]*m/g, "") : chunk);
const toLog = process.env.FORCE_COLOR === "0" ? (chunk, ...rest) => errOut(plain(chunk), ...rest) : errOut;
// wrangler's "Ready on http://…" names its idle proxy: flareq prints where the Worker really is.
// Once dev has asked the host to stop, what wrangler says while it tears down (a rebuild that
// finds its temporary files gone) is noise after dev's last line, and is dropped.
// wrangler's hint to upgrade for a config field it does not know is wrong under flareq, whose
// own fields those are (and it comes from a cached registry answer, see below).
let stopping = false;
const dropped = /Ready on http|There is a newer version of Wrangler available/;
process.stderr.write = (chunk, ...rest) =>
  stopping || (typeof chunk === "string" && dropped.test(chunk)) ? true : toLog(chunk, ...rest);
process.stdout.write = process.stderr.write;

// A kill of the host alone (dev ends the whole group itself when the host goes, or when dev
// dies): workerd and everything else in our process group end with us.
const endGroup = () => process.kill(-process.pid, "SIGKILL");
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, endGroup);

const env = process.env;
// Nothing is fetched from the internet at run time: no Request.cf download, no metrics.
env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
env.WRANGLER_SEND_METRICS ??= "false";
// wrangler asks the npm registry for its latest version when a config has fields it does not
// know (flareq's own consumer keys among them): pointed at a closed local port, the check
// finds nothing, at once, and prints no upgrade hint.
env.npm_config_registry = "http://127.0.0.1:9/";
const configPath = resolve(env.FLAREQ_WORKER_CONFIG);
const projectDir = dirname(configPath);
const here = dirname(fileURLToPath(import.meta.url));
const queuePlugin = { package: join(here, "queue-plugin.mjs"), name: "flareq-queue" };

function report(result) {
  if (!env.FLAREQ_WORKER_READY) return;
  writeFileSync(env.FLAREQ_WORKER_READY + ".tmp", JSON.stringify(result));
  renameSync(env.FLAREQ_WORKER_READY + ".tmp", env.FLAREQ_WORKER_READY);
}

function fail(message) {
  report({ error: message });
  if (!env.FLAREQ_WORKER_READY) process.stderr.write(`error: ${message}\n`);  // else dev says it
  process.exit(1);
}

// The project's own wrangler when it has one installed, else flareq's pinned one. Loaded with
// require(): import() of a CommonJS file first scans its 12 MB for export names (0.3 s).
async function loadWrangler() {
  for (const [from, origin] of [[join(projectDir, "package.json"), "the project's"], [join(here, "package.json"), "flareq's"]]) {
    try {
      const require = createRequire(from);
      const entry = require.resolve("wrangler");
      const pkg = JSON.parse(readFileSync(join(dirname(require.resolve("wrangler/package.json")), "package.json"), "utf8"));
      const miniflare = createRequire(entry)("miniflare");
      return { wrangler: require(entry), miniflare, version: pkg.version, origin };
    } catch {
      // not installed there
    }
  }
  fail("wrangler is not installed: run scripts/setup (it installs flareq's pinned wrangler), or npm install wrangler in the project");
}

// What the binding of each producer looks like to wrangler: an "unsafe" binding whose local
// side is flareq's Miniflare plugin (native Queue bindings posting to flareq).
// The config is read for FLAREQ_WORKER_ENV already: its queues are that environment's.
function producerBindings(rawConfig) {
  const api = new URL(env.FLAREQ_API_URL);
  const bindings = {};
  for (const p of rawConfig.queues?.producers ?? []) {
    bindings[p.binding] = {
      // wrangler's bindings table shows what follows "unsafe_" beside the binding: the queue.
      type: `unsafe_${p.queue ?? p.binding}`,
      dev: {
        plugin: queuePlugin,
        options: {
          queue: p.queue ?? p.binding,
          apiAddress: api.host,
          apiToken: env.FLAREQ_API_TOKEN ?? "",
          ...(p.delivery_delay === undefined ? {} : { deliveryDelay: p.delivery_delay }),
        },
      },
    };
  }
  return bindings;
}

// wrangler 4.86's Worker.queue() asks the Miniflare of its proxy, which does not hold the
// user's Worker. The runtime's own Miniflare instances are noted as they start (every
// instance reads `ready`), and queue() goes to the one that holds the Worker.
function noteMiniflares(miniflare) {
  const instances = new Set();
  const proto = miniflare.Miniflare.prototype;
  const ready = Object.getOwnPropertyDescriptor(proto, "ready");
  Object.defineProperty(proto, "ready", {
    ...ready,
    get() {
      instances.add(this);
      return ready.get.call(this);
    },
  });
  return async function workerNamed(name) {
    for (const mf of [...instances].reverse()) {
      try {
        return await mf.getWorker(name);
      } catch {
        // the proxy's, or a disposed one
      }
    }
    throw new Error(`the runtime holds no Worker named "${name}"`);
  };
}

// Miniflare gives the runtime a new random port on every reload and leaves it to wrangler's
// proxy to follow. The runtime that holds the user's Worker listens on the port flareq chose
// instead, the same across reloads and restarts, so that flareq's front can find it.
function pinRuntimePort(miniflare, port) {
  const proto = miniflare.Runtime.prototype;
  const updateConfig = proto.updateConfig;
  proto.updateConfig = function (configBuffer, options, workerNames, ...rest) {
    if (!workerNames?.includes("ProxyWorker")) options = { ...options, entryAddress: `127.0.0.1:${port}` };
    return updateConfig.call(this, configBuffer, options, workerNames, ...rest);
  };
}

// flareq posts batches to the delivery service (delivery.worker.mjs) in the runtime, on a
// loopback port it chose, rather than through this process. Neither wrangler nor Miniflare
// takes an extra service or socket from a config, so both are added to the user Worker's
// options as Miniflare reads them (its core plugin's parse), at start and on every reload:
// an entry for this plugin (the service; no binding in the Worker's env) and a direct socket.
// Returns false where that Miniflare reads its options otherwise (then batches go through
// this process).
function addDelivery(miniflare, workerName, port, secret) {
  return !!port && afterParse(miniflare.PLUGINS?.core?.options, (options) => {
    if (options?.name === workerName && !options.unsafeDirectSockets?.some((s) => s.serviceName === DELIVERY_SERVICE)) {
      options.unsafeBindings = [...(options.unsafeBindings ?? []), {
        name: DELIVERY_SERVICE,
        type: "flareq_delivery",
        plugin: queuePlugin,
        options: { kind: "delivery", worker: workerName, secret },
      }];
      options.unsafeDirectSockets = [...(options.unsafeDirectSockets ?? []),
        { host: "127.0.0.1", port, serviceName: DELIVERY_SERVICE, entrypoint: "deliver" }];
      options.tails = [...(options.tails ?? []), { name: DELIVERY_SERVICE, entrypoint: "deliver" }];
    }
  });
}

// The delivery service's marks (delivery.worker.mjs) come through workerd's output behind
// what the Worker printed; they go to flareq as they are, not through wrangler's logger (which
// would also write each one to its debug log file). Returns false where that Miniflare reads
// its options otherwise (then they go through wrangler's logger).
function relayMarks(miniflare) {
  return afterParse(miniflare.PLUGINS?.core?.sharedOptions, (options) => {
    const handle = options?.handleStructuredLogs;
    if (typeof handle === "function")
      options.handleStructuredLogs = (log) =>
        isMark(log?.message) ? errOut(`${log.message}\n`) : handle(log);
  });
}

// Lets `change` amend what one of Miniflare's option schemas parses (in place), from now on;
// false where the schema has no parse() to wrap.
function afterParse(schema, change) {
  if (typeof schema?.parse !== "function") return false;
  const parse = schema.parse;
  schema.parse = (data, params) => {
    const options = parse(data, params);
    change(options);
    return options;
  };
  return true;
}

// esbuild's errors as it prints them: file:line:column, the message, the line and a caret.
// Empty when `failure` is no build failure.
function describeBuildFailure(failure) {
  const errors = failure?.errors ?? failure?.cause?.errors ?? [];
  return errors.map((e) => {
    const at = e.location;
    if (!at) return e.text;
    const number = String(at.line);
    return `${at.file}:${at.line}:${at.column}: ${e.text}\n` +
      `    ${number} │ ${at.lineText}\n` +
      `    ${" ".repeat(number.length)} ╵ ${" ".repeat(at.column)}^`;
  }).join("\n");
}

// wrangler logs a build that fails and waits for the next edit of the source. Before the
// Worker first ran there is nothing to keep serving, so `onFailure` is told at once (dev then
// fails with the bundler's words rather than waiting).
function noteBuildFailures(wrangler, onFailure) {
  const proto = wrangler.unstable_DevEnv?.prototype;
  const handle = proto?.handleErrorEvent;
  if (typeof handle !== "function") return;
  proto.handleErrorEvent = function (event) {
    handle.call(this, event);
    if (event?.source === "BundlerController") onFailure(event.cause);
  };
}

// Whether the delivery service answers on its port (it answers a GET with the secret with 405).
async function deliveryAnswers(port, secret) {
  try {
    return (await fetch(`http://127.0.0.1:${port}/`, { headers: { "X-Flareq-Delivery-Secret": secret } })).status === 405;
  } catch {
    return false;
  }
}

async function main() {
  if (!existsSync(configPath)) fail(`no wrangler config at ${configPath}`);
  if (Number(process.versions.node.split(".")[0]) < 20 || process.versions.node.startsWith("20.0") ||
      process.versions.node.startsWith("20.1.") || process.versions.node.startsWith("20.2."))
    fail(`Node.js ${process.versions.node} is too old for wrangler: the Worker needs Node.js 20.3 or later (set FLAREQ_NODE)`);
  const { wrangler, miniflare, version, origin } = await loadWrangler();
  const workerNamed = noteMiniflares(miniflare);
  // wrangler warns of the config's problems when it starts the Worker: once is enough.
  const rawConfig = wrangler.unstable_readConfig({ config: configPath, env: env.FLAREQ_WORKER_ENV || undefined },
                                                 { hideWarnings: true });
  const runtimePort = Number(env.FLAREQ_WORKER_RUNTIME_PORT);
  if (!Number.isInteger(runtimePort) || runtimePort <= 0) fail("FLAREQ_WORKER_RUNTIME_PORT must name a port");
  pinRuntimePort(miniflare, runtimePort);
  // FLAREQ_WORKER_DELIVERY=host keeps batches on the way through this process.
  const deliveryPort = env.FLAREQ_WORKER_DELIVERY === "host" ? 0 : Number(env.FLAREQ_WORKER_DELIVERY_PORT) || 0;
  const deliverySecret = env.FLAREQ_WORKER_DELIVERY_SECRET ?? "";
  const logLevel = env.FLAREQ_WORKER_LOG_LEVEL ?? "log";
  const deliveryAdded = deliverySecret !== "" && addDelivery(miniflare, rawConfig.name ?? "worker", deliveryPort, deliverySecret);
  if (deliveryAdded) relayMarks(miniflare);
  if (!rawConfig.main) fail(`${configPath} has no "main": there is no Worker to run`);
  const mainPath = resolve(projectDir, rawConfig.main);
  if (!existsSync(mainPath)) fail(`the Worker's main file ${mainPath} does not exist (from "main" in ${configPath})`);

  let worker;
  let started = false;
  let lastError;
  noteBuildFailures(wrangler, (failure) => {
    if (!started) fail(`the Worker did not build: ${describeBuildFailure(failure) || (failure?.message ?? failure)}`);
  });
  try {
    worker = await wrangler.unstable_startWorker({
      config: configPath,
      env: env.FLAREQ_WORKER_ENV || undefined,
      bindings: producerBindings(rawConfig),
      dev: {
        server: { hostname: "127.0.0.1", port: 0 },  // wrangler's proxy: nobody calls it
        inspector: false,
        watch: true,
        logLevel,
      },
    });
    // wrangler reports build and runtime errors as events, at start and on every reload.
    worker.raw.on("error", (event) => {
      const e = event?.cause ?? event;
      const message = e?.message ?? String(e);
      lastError = message;
      process.stderr.write(`error: ${message}\n`);
      // workerd does not recover from a Worker that failed to start (one that throws while it
      // loads): end this host, and flareq starts a fresh one, which picks up the fixed source.
      if (started && message.includes("runtime failed to start")) {
        process.stderr.write("the Worker failed to start after a reload: starting its host again\n");
        endGroup();
      }
    });
    await worker.ready;
    // The proxy is ready before the runtime is, sometimes before the runtime's Miniflare even
    // exists (bundling is slow on a busy machine): ask until the runtime holds the Worker, or
    // wrangler reports why it cannot (a Worker that throws while it loads is only seen here).
    for (let waited = 0; ; waited += 50) {
      try {
        await workerNamed(worker.config.name);
        break;
      } catch (e) {
        if (lastError || waited >= 120000) throw e;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (e) {
    const built = describeBuildFailure(e);
    if (built) fail(`the Worker did not build: ${built}`);
    fail(`the Worker did not start: ${lastError ?? e?.message ?? e}`);
  }
  started = true;
  // Where batches go, or why they go through this process.
  // The delivery service's marks (console.log) reach the log only at log level "log" or finer.
  const delivery = env.FLAREQ_WORKER_DELIVERY === "host" ? { deliveryUnavailable: "FLAREQ_WORKER_DELIVERY=host" }
    : !deliveryAdded ? { deliveryUnavailable: `the Miniflare of wrangler ${version} cannot be given the delivery service` }
    : (await deliveryAnswers(deliveryPort, deliverySecret)) ? { delivery: `127.0.0.1:${deliveryPort}`, marks: ["log", "debug"].includes(logLevel) }
    : { deliveryUnavailable: "the delivery service did not answer" };
  report({
    ...delivery,
    url: `http://127.0.0.1:${runtimePort}`,
    name: rawConfig.name ?? "",
    main: relative(projectDir, resolve(projectDir, rawConfig.main)),
    compatibility_date: rawConfig.compatibility_date ?? "",
    runtime: `wrangler ${version} (${origin})`,
  });

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", async (line) => {
    let batch;
    try {
      batch = JSON.parse(line);
    } catch {
      return;
    }
    let result;
    try {
      const runtime = await workerNamed(worker.config.name);
      const verdict = await runtime.queue(batch.queue, batch.messages.map(toQueueMessage), toMetadata(batch));
      result = { invocation: batch.invocation, ...toResult(verdict) };
    } catch (e) {
      process.stderr.write(`queue() could not be called: ${e?.stack ?? e}\n`);
      result = { invocation: batch.invocation, outcome: "exception", error: String(e?.message ?? e) };
    }
    protocolOut(JSON.stringify(result) + "\n");
  });
  // dev closed our stdin: it is stopping.
  lines.on("close", async () => {
    stopping = true;
    await worker.dispose().catch(() => {});
    process.exit(0);
  });
}

main().catch((e) => fail(e?.stack ?? String(e)));
