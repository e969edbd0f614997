// A Worker that throws while it loads (its modules' top-level code): the runtime's words, with
// the place pointed back at the user's source through the bundle's source map, and the wait for
// the next build (the fix) that a host whose Worker cannot load does instead of ending at once,
// answering for the Worker meanwhile.
// Plain JavaScript for Node.js, used by host.mjs and loaded by Node's tests.
import { existsSync, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { createServer } from "node:http";
import { SourceMap } from "node:module";
import { join, relative, resolve } from "node:path";

// The runtime's report: "service core:user:NAME: Uncaught TypeError: …", then the first frame,
// "at … file:///bundle/index.js:61:31" or "at index.js:5:7" (in its stderr line, JSON with the
// newline escaped): [, what, module, line, column].
const LOAD_THROW = /service core:user:[^:]*: (Uncaught [^\n]*?)(?:\\n|\n)\s*at (?:[^\n(]*\()?(?:file:\/\/\/bundle\/)?([^:\s()]+\.[cm]?js):(\d+):(\d+)/;

export function isLoadThrow(text) {
  return typeof text === "string" && LOAD_THROW.test(text);
}

// wrangler's bundles for `dev` live in <project>/.wrangler/tmp/dev-*/: the newest that holds
// `module` (with its map beside it), or undefined.
function newestBundle(projectDir, module) {
  const tmp = join(projectDir, ".wrangler", "tmp");
  let best;
  for (const entry of existsSync(tmp) ? readdirSync(tmp) : []) {
    if (!entry.startsWith("dev-")) continue;
    const file = join(tmp, entry, module);
    if (!existsSync(file + ".map")) continue;
    const modified = statSync(file).mtimeMs;
    if (!best || modified > best.modified) best = { file, modified };
  }
  return best?.file;
}

// "src/index.ts:1:39" (relative to the project) for a place in the bundle, or undefined when
// no map knows it.
export function originalPlace(projectDir, module, line, column) {
  try {
    const bundle = newestBundle(projectDir, module);
    if (!bundle) return undefined;
    const origin = new SourceMap(JSON.parse(readFileSync(bundle + ".map", "utf8"))).findOrigin(line, column);
    if (!origin?.fileName) return undefined;
    const file = origin.fileName.startsWith("file://") ? new URL(origin.fileName).pathname : resolve(bundle, "..", origin.fileName);
    return `${relative(projectDir, file)}:${origin.lineNumber}:${origin.columnNumber}`;
  } catch {
    return undefined;
  }
}

// flareq's sentence for a Worker that threw while it loaded, from the text that reports it
// (wrangler's error, or the runtime's stderr); undefined for other failures.
export function describeLoadThrow(text, projectDir) {
  const found = LOAD_THROW.exec(text ?? "");
  if (!found) return undefined;
  const [, what, module, line, column] = found;
  const place = originalPlace(projectDir, module, Number(line), Number(column)) ?? `${module}:${line}:${column} of wrangler's bundle`;
  const said = what.replace(/\\"/g, '"').replace(/\x1b\[[0-9;]*m/g, "");  // JSON's escapes, a terminal's colours
  return `the Worker threw while it loaded (its modules' top-level code runs then): ${said}\n    at ${place}`;
}

// Calls `then` once wrangler has written a new bundle of the Worker (its source changed and it
// built): the runtime cannot load a fixed version into the one that failed, so the host ends
// then, and dev starts a fresh one. False when there is no bundle folder to watch (a Worker
// wrangler does not bundle): the caller ends at once instead.
export function onNextBuild(projectDir, then) {
  const tmp = join(projectDir, ".wrangler", "tmp");
  try {
    const watcher = watch(tmp, { recursive: true }, (event, file) => {
      if (!file || !/^dev-[^/\\]+[/\\][^/\\]+\.js$/.test(file)) return;
      watcher.close();
      then();
    });
    return true;
  } catch {
    return false;
  }
}

// While the Worker waits for its fix, its host answers on the runtime's ports: a request to the
// Worker gets 503 and why at once (not a wait for a runtime that is not coming), and a batch
// gets 503 with X-Flareq-Not-Loaded, on which dev's delivery waits rather than counting an
// attempt (emulator/handler/worker_runtime.cpp). A port it cannot take is left alone.
export function answerForTheWorker({ runtimePort, deliveryPort, why }) {
  const servers = [];
  const serve = (port, headers, body) => {
    if (!port) return;
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "1", ...headers });
      response.end(body);
    });
    server.on("error", () => {});
    server.listen(port, "127.0.0.1");
    servers.push(server);
  };
  serve(runtimePort, {}, `${why}\n`);
  serve(deliveryPort, { "x-flareq-not-loaded": "1" }, "the Worker did not load\n");
  return servers;
}
