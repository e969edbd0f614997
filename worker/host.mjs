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
// Object every request queues through, in a runtime of its own) is not started unless the
// inspector needs it, and then left idle on a port of its own.
//
// Environment: FLAREQ_WORKER_CONFIG (the wrangler config), FLAREQ_WORKER_ENV,
// FLAREQ_WORKER_RUNTIME_PORT (where the runtime listens), FLAREQ_WORKER_DELIVERY_PORT and
// FLAREQ_WORKER_DELIVERY_SECRET (where its delivery service listens, and what it asks of
// every request), FLAREQ_WORKER_FRONT_SECRET (what the Worker's fetch() asks of every request:
// flareq's Worker front adds it; front-gate.mjs), FLAREQ_API_URL and FLAREQ_API_TOKEN (flareq),
// FLAREQ_WORKER_PEERS (the names of this dev's Workers, which share FLAREQ_WORKER_FRONT_SECRET),
// FLAREQ_WORKER_READY (a file: the host writes {"url", "delivery" or "deliveryUnavailable", …}
// or {"error"} there once it knows), FLAREQ_WORKER_PERSIST (where the other bindings keep their
// data: for a config a build wrote, or flareq/testing's fresh folder; else wrangler's default
// beside the config), WRANGLER_REGISTRY_PATH (the dev registry, as for wrangler dev).
import { createRequire } from "node:module";
import { writeFileSync, renameSync, existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { isMark, toMetadata, toQueueMessage, toResult } from "./delivery.worker.mjs";
import { joinFlareq, legacyPathRewrites } from "./miniflare-shapes.mjs";
import { answerForTheWorker, describeLoadThrow, isLoadThrow, onNextBuild } from "./load-failure.mjs";
import { ownClassNames, peerBindings, producerBindings, queueProducers, r2Buckets } from "./config-bindings.mjs";

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
// wrangler's warning that a config field is unknown is wrong for flareq's own fields (a
// consumer's "command", "mode" and "faults", an R2 bucket's "event_notifications"): those
// lines go, and the warning with them when nothing else is left in it.
const flareqField = /^.*- Unexpected fields found in (queues\.consumers|r2_buckets)\[\d+\] field: "(command|mode|faults|event_notifications)"\s*\n?/gm;
// So is the line of wrangler's bindings table for flareq's own R2 events service.
const eventsBindingLine = /^.*env\.__flareq_r2_events.*\n?/gm;
function withoutFlareqFields(chunk) {
  if (typeof chunk !== "string") return chunk;
  if (chunk.includes("__flareq_r2_events")) return chunk.replace(eventsBindingLine, "");
  if (!chunk.includes("Unexpected fields found")) return chunk;
  const kept = chunk.replace(flareqField, "");
  return /WARNING/.test(kept) && !/^\s*- /m.test(kept) ? "" : kept;
}

// A compatibility date the runtime refuses, as wrangler reports it: Miniflare's for a date after
// today ([, the date]); workerd's, in the runtime's stderr, for one after the newest its binary
// supports ([, the date, the newest]), which is some days past its npm package's
// compatibilityDate. They decide, as under `wrangler dev`; flareq says what to do.
const FUTURE_DATE = /Compatibility date "([\d-]+)" is in the future/;
const LATE_DATE = /requires compatibility date \\?"([\d-]+)\\?", but the newest date supported by this server binary is \\?"([\d-]+)/;
// Older wranglers (4.86 among them) log the runtime's stderr rather than put it in their error:
// the last line of it that refused a date.
let lateDateLine = "";
// The same for a Worker that throws while it loads: the runtime's line that says so.
let loadThrowLine = "";

process.stderr.write = (chunk, ...rest) => {
  if (typeof chunk === "string" && LATE_DATE.test(chunk)) lateDateLine = chunk;
  if (isLoadThrow(chunk)) loadThrowLine = chunk;
  if (stopping || (typeof chunk === "string" && dropped.test(chunk))) return true;
  const kept = withoutFlareqFields(chunk);
  return kept === "" ? true : toLog(kept, ...rest);
};
process.stdout.write = process.stderr.write;

// A kill of the host alone (dev ends the whole group itself when the host goes, or when dev
// dies): workerd and everything else in our process group end with us.
const endGroup = () => process.kill(-process.pid, "SIGKILL");
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, endGroup);

const env = process.env;
// Nothing is fetched from the internet at run time: no Request.cf download, no metrics.
env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
env.WRANGLER_SEND_METRICS ??= "false";
// wrangler's local trace capture (newer wranglers turn it on: a streaming tail on every request
// into the Local Explorer's store) halves the Worker's request rate; X_LOCAL_OBSERVABILITY=true
// in dev's environment brings it back.
env.X_LOCAL_OBSERVABILITY ??= "false";
// wrangler 4.91 and later append every line it prints (each console.log of the Worker among
// them) to a file of its own under ~/.config/.wrangler/logs, a mkdir, a stat and an append each:
// the dev log holds those lines already. WRANGLER_WRITE_LOGS=true, or a WRANGLER_LOG_PATH, in
// dev's environment brings the file back.
if (env.WRANGLER_WRITE_LOGS === undefined && env.WRANGLER_LOG_PATH === undefined) env.WRANGLER_WRITE_LOGS = "false";
// The runtime's young generation kept small (a MiB per semi-space): workerd runs a V8 isolate for
// each of Miniflare's services besides the Worker, and each one's nursery grows to its own ceiling
// under load (about 170 MiB more of the runtime's memory at the same speed). Miniflare
// 4.20260722 (wrangler 4.115) and later pass the variable on; the user's own value wins.
env.MINIFLARE_WORKERD_V8_FLAGS ??= "--max-semi-space-size=1";
// wrangler reloads the Worker itself when its config changes, and a queue binding added then
// would be Miniflare's own, in memory, whose messages flareq never sees. dev watches the
// config instead and starts again with it, the new bindings flareq's.
env.WRANGLER_CI_DISABLE_CONFIG_WATCHING = "true";
// wrangler asks the npm registry for its latest version when a config has fields it does not
// know (flareq's own consumer keys among them): pointed at a closed local port, the check
// finds nothing, at once, and prints no upgrade hint.
env.npm_config_registry = "http://127.0.0.1:9/";
const configPath = resolve(env.FLAREQ_WORKER_CONFIG);
const projectDir = dirname(configPath);
const here = dirname(fileURLToPath(import.meta.url));
const queuePlugin = { package: join(here, "queue-plugin.mjs"), name: "flareq-queue" };

// Written once the Worker has started in this dev: a host started again after that (its Worker
// failed to load a new version) waits for the fix rather than ending dev.
const startedMarker = env.FLAREQ_WORKER_READY ? env.FLAREQ_WORKER_READY + ".started" : "";

function report(result) {
  if (!env.FLAREQ_WORKER_READY) return;
  writeFileSync(env.FLAREQ_WORKER_READY + ".tmp", JSON.stringify(result));
  renameSync(env.FLAREQ_WORKER_READY + ".tmp", env.FLAREQ_WORKER_READY);
}

// code: "EADDRINUSE" when a port flareq chose for the runtime was taken before workerd bound
// it, the one failure that flareq cures by starting the host again on other ports.
function fail(message, code) {
  report(code ? { error: message, code } : { error: message });
  if (!env.FLAREQ_WORKER_READY) process.stderr.write(`error: ${message}\n`);  // else dev says it
  process.exit(1);
}

// The wranglers flareq is tested with, oldest and newest (CI runs the Worker tests on both).
const OLDEST = "4.86.0";
const NEWEST = "4.168.0";
const compareVersions = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split(/[.-]/).slice(0, 3).map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

// Whether this Node.js satisfies an engines range of the form ">=A.B.C".
function nodeAccepts(range) {
  const least = /^>=\s*(\d+\.\d+\.\d+)/.exec(range ?? "");
  return !least || compareVersions(process.versions.node, least[1]) >= 0;
}

// The project's own wrangler when it has one installed, else the one FLAREQ_WRANGLER_DIR
// holds, else flareq's pinned one. Loaded with require(): import() of a CommonJS file first
// scans its 12 MB for export names (0.3 s).
async function loadWrangler() {
  const places = [[join(projectDir, "package.json"), "the project's"]];
  if (env.FLAREQ_WRANGLER_DIR) places.push([join(resolve(env.FLAREQ_WRANGLER_DIR), "package.json"), "FLAREQ_WRANGLER_DIR's"]);
  else places.push([join(here, "package.json"), "flareq's"]);
  for (const [from, origin] of places) {
    try {
      const require = createRequire(from);
      const entry = require.resolve("wrangler");
      const pkg = JSON.parse(readFileSync(join(dirname(require.resolve("wrangler/package.json")), "package.json"), "utf8"));
      if (compareVersions(pkg.version, OLDEST) < 0 || !pkg.version.startsWith("4."))
        fail(`wrangler ${pkg.version} (${origin}) is outside the versions flareq runs Workers with (${OLDEST} to ` +
             `${NEWEST}, and later 4.x): npm install -D wrangler@4 in the project`);
      if (!nodeAccepts(pkg.engines?.node))
        fail(`wrangler ${pkg.version} (${origin}) needs Node.js ${pkg.engines.node}, and this is ${process.versions.node}: ` +
             "install a Node.js it accepts, or set FLAREQ_NODE");
      const miniflare = createRequire(entry)("miniflare");
      const workerd = createRequire(createRequire(entry).resolve("miniflare"))("workerd");
      return { wrangler: require(entry), miniflare, version: pkg.version, origin, runtimeDate: workerd.compatibilityDate };
    } catch {
      // not installed there
    }
  }
  fail("this project has a Worker, and no wrangler is installed to run it: npm install -D wrangler in the project " +
       "(in a source checkout of flareq, scripts/setup installs flareq's own)");
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

// A Worker that imports what only Vite provides (a virtual: module, as a React Router app on
// the Cloudflare Vite plugin does) is built by Vite, never by wrangler's bundler: what to do.
function viteAdvice(built) {
  if (!/Could not resolve "virtual:/.test(built)) return "";
  return "\nThis Worker imports a module that only Vite provides: it is built by Vite (the Cloudflare Vite plugin). " +
    "Build it (npm run build, or npx vite build) and start flareq dev again, with no -c (or -c naming the " +
    "build's wrangler.json): it then runs what the build wrote, as wrangler dev does, and each new build as it lands";
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

// A reload (the Worker's source edited) starts a new runtime and cuts the batches queue() is
// running in the old one; flareq hands those to the reloaded Worker again without counting an
// attempt (a deploy in production lets a running batch finish). It is told of each reload by a
// line of this host's output, before the old runtime goes.
const RELOAD_LINE = "flareq-reload\n";
function noteReloads(wrangler) {
  const proto = wrangler.unstable_DevEnv?.prototype;
  const dispatch = proto?.dispatch;
  if (typeof dispatch !== "function") return;
  proto.dispatch = function (event) {
    if (event?.type === "reloadStart") errOut(RELOAD_LINE);
    return dispatch.call(this, event);
  };
}

// unstable_startWorker starts a second runtime for wrangler's proxy Worker, which stands in front
// of the Worker under wrangler dev; under flareq the Worker front stands there, and nothing calls
// that runtime (a workerd process, 84 MiB). Unless the inspector is on (wrangler's inspector proxy
// lives in it), the proxy controller is given a stand-in for it, with the few methods wrangler
// calls on it, ready at `url` (the Worker's runtime). A wrangler without these methods keeps its own.
function withoutProxyRuntime(wrangler, url) {
  const proto = wrangler.unstable_DevEnv?.prototype;
  const dispatch = proto?.dispatch;
  if (typeof dispatch !== "function") return;
  const given = new WeakSet();
  proto.dispatch = function (event) {
    const proxy = this.proxy;
    if (proxy && !given.has(proxy) && typeof proxy.createProxyWorker === "function" &&
        typeof proxy.emitReadyEvent === "function") {
      given.add(proxy);
      const create = proxy.createProxyWorker;
      proxy.createProxyWorker = function () {
        if (this.inspectorEnabled) return create.call(this);
        if (this.proxyWorker) return;
        this.proxyWorker = {
          ready: Promise.resolve(new URL(url)),
          dispatchFetch: async () => new Response(null, { status: 204 }),  // its pause and play messages
          setOptions: async () => {},
          dispose: async () => {},
        };
        this.emitReadyEvent(this.proxyWorker, new URL(url), undefined);
      };
    }
    return dispatch.call(this, event);
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

// The project's config, read once (wrangler warns of its problems when it starts the Worker),
// with what must hold before anything starts.
function readProject(wrangler) {
  const config = wrangler.unstable_readConfig({ config: configPath, env: env.FLAREQ_WORKER_ENV || undefined },
                                              { hideWarnings: true });
  if (!config.main) fail(`${configPath} has no "main": there is no Worker to run`);
  const mainPath = resolve(projectDir, config.main);
  if (!existsSync(mainPath)) fail(`the Worker's main file ${mainPath} does not exist (from "main" in ${configPath})`);
  return config;
}

// The ports and secrets flareq chose, given to the runtime's Miniflare before it starts: the
// front gate (front-gate.mjs) admits only the requests that flareq's Worker front passes on.
// Says where batches will go: the delivery service (delivery.worker.mjs) in the runtime, on a
// loopback port of its own, or through this process (FLAREQ_WORKER_DELIVERY=host, or a
// Miniflare that cannot take the service; miniflare-shapes.mjs).
function prepareRuntime(miniflare, config) {
  const runtimePort = Number(env.FLAREQ_WORKER_RUNTIME_PORT);
  if (!Number.isInteger(runtimePort) || runtimePort <= 0) fail("FLAREQ_WORKER_RUNTIME_PORT must name a port");
  pinRuntimePort(miniflare, runtimePort);
  const deliveryPort = env.FLAREQ_WORKER_DELIVERY === "host" ? 0 : Number(env.FLAREQ_WORKER_DELIVERY_PORT) || 0;
  const deliverySecret = env.FLAREQ_WORKER_DELIVERY_SECRET ?? "";
  const wantsDelivery = deliverySecret !== "" && deliveryPort > 0;
  const frontSecret = env.FLAREQ_WORKER_FRONT_SECRET ?? "";
  const buckets = r2Buckets(config);
  const peers = (env.FLAREQ_WORKER_PEERS ?? "").split(",").filter(Boolean);
  const shape = wantsDelivery || frontSecret || Object.keys(buckets).length ? joinFlareq(miniflare, {
    workerName: config.name ?? "worker", frontSecret, buckets, producers: queueProducers(config), peers: peerBindings(config, peers),
    classes: ownClassNames(config),
    consumes: (env.FLAREQ_WORKER_CONSUMES ?? "").split(",").filter(Boolean),
    port: wantsDelivery ? deliveryPort : 0, secret: deliverySecret,
    plugin: queuePlugin, isMark, out: errOut,
  }) : "";
  return { runtimePort, deliveryPort, deliverySecret, deliveryAdded: wantsDelivery && shape !== "" };
}

// flareq's sentence for a refused date, given wrangler's error; undefined for other errors.
function dateRefusal(why, runtime, runtimeDate) {
  const where = relative(process.cwd(), configPath) || configPath;
  const late = LATE_DATE.exec(why) ?? (/runtime failed to start/.test(why) ? LATE_DATE.exec(lateDateLine) : null);
  if (late)
    return `the Worker's compatibility_date ${late[1]} is later than the newest the runtime of ${runtime} supports, ` +
           `${late[2]}: update wrangler (npm install -D wrangler@latest), or set "compatibility_date" to ${late[2]} ` +
           `or earlier in ${where}`;
  const future = FUTURE_DATE.exec(why);
  if (future)
    return `the Worker's compatibility_date ${future[1]} is in the future, which the runtime refuses: set ` +
           `"compatibility_date" to ${runtimeDate} (the runtime of ${runtime} is of that date) or earlier in ${where}`;
  return undefined;
}

// The dev registry wrangler dev uses, where each local Worker says where it runs: through it the
// Workers of one dev (each in a host of its own), of two devs, and of flareq and wrangler dev
// reach each other's service bindings and Durable Objects. WRANGLER_REGISTRY_PATH, else the
// registry in wrangler's global config folder (~/.wrangler if there is one, else
// $XDG_CONFIG_HOME/.wrangler or ~/.config/.wrangler): unstable_startWorker uses none unless told.
function devRegistryPath() {
  if (env.WRANGLER_REGISTRY_PATH) return env.WRANGLER_REGISTRY_PATH;
  const legacy = join(homedir(), ".wrangler");
  let legacyIsDir = false;
  try {
    legacyIsDir = statSync(legacy).isDirectory();
  } catch {}
  return join(legacyIsDir ? legacy : join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), ".wrangler"), "registry");
}

// Starts the Worker with wrangler and waits until its runtime holds it; a Worker that does not
// build or start ends this host with wrangler's own sentence (for a date refused, flareq's).
// `runtime` names the wrangler ("wrangler 4.164.0 (the project's)"), `runtimeDate` its workerd's date.
async function startWorker(wrangler, workerNamed, config, logLevel, runtime, runtimeDate) {
  let worker;
  let started = false;
  let lastError;
  noteReloads(wrangler);
  withoutProxyRuntime(wrangler, `http://127.0.0.1:${env.FLAREQ_WORKER_RUNTIME_PORT}`);
  noteBuildFailures(wrangler, (failure) => {
    if (!started) {
      const built = describeBuildFailure(failure) || String(failure?.message ?? failure);
      fail(`the Worker did not build: ${built}${viteAdvice(built)}`);
    }
  });
  try {
    worker = await wrangler.unstable_startWorker({
      config: configPath,
      env: env.FLAREQ_WORKER_ENV || undefined,
      bindings: producerBindings(config, { plugin: queuePlugin, apiUrl: env.FLAREQ_API_URL, apiToken: env.FLAREQ_API_TOKEN ?? "" }),
      dev: {
        server: { hostname: "127.0.0.1", port: 0 },  // wrangler's proxy, when it runs (the inspector): nobody calls it
        inspector: process.env.FLAREQ_WORKER_INSPECTOR_PORT ? { hostname: "127.0.0.1", port: Number(process.env.FLAREQ_WORKER_INSPECTOR_PORT) } : false,
        watch: true,
        logLevel,
        registry: devRegistryPath(),
        ...(env.FLAREQ_WORKER_PERSIST ? { persist: env.FLAREQ_WORKER_PERSIST } : {}),
      },
    });
    // wrangler reports build and runtime errors as events, at start and on every reload.
    worker.raw.on("error", (event) => {
      const e = event?.cause ?? event;
      const message = e?.message ?? String(e);
      lastError = message;
      process.stderr.write(`error: ${message}\n`);
      // workerd does not recover from a Worker that failed to start (one that throws while it
      // loads): this host ends, and flareq starts a fresh one, which picks up the fixed source;
      // one whose code threw waits for the fix first (a fresh host would throw again).
      if (started && message.includes("runtime failed to start")) {
        const threw = loadThrowOf(message);
        if (threw) waitForFix(threw);
        else {
          process.stderr.write("the Worker failed to start after a reload: starting its host again\n");
          endGroup();
        }
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
    if (built) fail(`the Worker did not build: ${built}${viteAdvice(built)}`);
    const why = String(lastError ?? e?.message ?? e);
    const refused = dateRefusal(why, runtime, runtimeDate);
    if (refused) fail(refused);
    const threw = loadThrowOf(why);
    if (threw && startedMarker && existsSync(startedMarker)) return waitForFix(threw);
    if (threw) fail(threw);
    fail(`the Worker did not start: ${why}`, /Address already in use|EADDRINUSE/.test(why) ? "EADDRINUSE" : undefined);
  }
  started = true;
  if (startedMarker) writeFileSync(startedMarker, "");
  return worker;
}

// flareq's sentence for a Worker that threw while it loaded, from wrangler's error (older
// wranglers only log the runtime's words: then its last such line); undefined for other errors.
function loadThrowOf(why) {
  return describeLoadThrow(why, projectDir) ??
         (/runtime failed to start/.test(why) ? describeLoadThrow(loadThrowLine, projectDir) : undefined);
}

// A Worker that threw while it loaded, in a dev where it ran before: said once, then this host
// waits for wrangler's next build of it and ends, and dev starts a fresh one (a host started
// again on the same source would only throw again, every few seconds). Never resolves.
let waitingForFix = false;
function waitForFix(threw) {
  if (waitingForFix) return new Promise(() => {});
  waitingForFix = true;
  const fixed = () => {
    process.stderr.write("flareq: the Worker's source changed: starting it again\n");
    endGroup();
  };
  process.stderr.write(`flareq: ${threw}\n`);
  if (!onNextBuild(projectDir, fixed)) {
    process.stderr.write("the Worker failed to start after a reload: starting its host again\n");
    endGroup();
    return new Promise(() => {});
  }
  process.stderr.write("flareq: the Worker starts again once its source changes; until then " +
                       "its fetch() answers 503 and its batches wait for it\n");
  answerForTheWorker({
    runtimePort: Number(env.FLAREQ_WORKER_RUNTIME_PORT),
    deliveryPort: Number(env.FLAREQ_WORKER_DELIVERY_PORT),
    why: `${threw}\nIt starts again once its source changes.`,
  });
  return new Promise(() => {});
}

// Batches that come through this process (one JSON line each on stdin) go to queue() through
// Miniflare; the end of stdin is dev stopping.
function serveBatchesOnStdin(worker, workerNamed) {
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
  lines.on("close", async () => {
    stopping = true;
    await worker.dispose().catch(() => {});
    process.exit(0);
  });
}

async function main() {
  if (!existsSync(configPath)) fail(`no wrangler config at ${configPath}`);
  const { wrangler, miniflare, version, origin, runtimeDate } = await loadWrangler();
  if (compareVersions(version, NEWEST) > 0)
    process.stderr.write(`wrangler ${version} (${origin}) is newer than flareq has been tested with (${OLDEST} to ` +
                         `${NEWEST}); if the Worker misbehaves, try wrangler@${NEWEST}\n`);
  const workerNamed = noteMiniflares(miniflare);
  const config = readProject(wrangler);
  const runtime = prepareRuntime(miniflare, config);
  const logLevel = env.FLAREQ_WORKER_LOG_LEVEL ?? "log";
  const worker = await startWorker(wrangler, workerNamed, config, logLevel, `wrangler ${version} (${origin})`, runtimeDate);
  // The delivery service's marks (console.log) reach the log only at log level "log" or finer.
  const delivery = env.FLAREQ_WORKER_DELIVERY === "host" ? { deliveryUnavailable: "FLAREQ_WORKER_DELIVERY=host" }
    : !runtime.deliveryAdded ? { deliveryUnavailable: `the Miniflare of wrangler ${version} cannot be given the delivery service` }
    : (await deliveryAnswers(runtime.deliveryPort, runtime.deliverySecret))
      ? { delivery: `127.0.0.1:${runtime.deliveryPort}`, marks: ["log", "debug"].includes(logLevel) }
    : { deliveryUnavailable: "the delivery service did not answer" };
  report({
    ...delivery,
    url: `http://127.0.0.1:${runtime.runtimePort}`,
    name: config.name ?? "",
    main: relative(projectDir, resolve(projectDir, config.main)),
    compatibility_date: config.compatibility_date ?? "",
    runtime: `wrangler ${version} (${origin})`,
    pathRewrites: legacyPathRewrites(miniflare),
  });
  serveBatchesOnStdin(worker, workerNamed);
}

// What wrangler says of the user's own mistakes (its UserError family: a config that does not
// validate, a missing file) is told as wrangler tells it, by its message alone; anything else
// with its stack, for a bug report.
function isWranglersUserError(e) {
  for (let proto = Object.getPrototypeOf(e ?? {}); proto; proto = Object.getPrototypeOf(proto))
    if (proto.constructor?.name === "UserError") return true;
  return false;
}

main().catch((e) => fail(isWranglersUserError(e) ? e.message : e?.stack ?? String(e)));
