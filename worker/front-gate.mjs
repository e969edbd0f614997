// The gate in front of the Worker's fetch(), inside the runtime: flareq's Worker front adds a
// secret header (one per dev) to every request it passes on, and the gate refuses a request
// without it before the user's code runs, then removes it. So a page that finds the runtime's
// own loopback port (a scan of 127.0.0.1 from a browser takes seconds) reaches the Worker only
// through the front, which holds each request to the local safety rules.
//
// The gate is a module that becomes the Worker's entry point: it re-exports everything of the
// Worker's own entry module (Durable Objects, named entrypoints) and wraps its default export's
// fetch() (an object's, or a WorkerEntrypoint class's). miniflare-shapes.mjs puts it in place.

export const GATE_MODULE = "__flareq_front_gate.mjs";
export const GATE_HEADER = "x-flareq-front";

// The gate's source, importing the Worker's entry module from `mainImport` ("./index.js").
export function gateSource(mainImport, secret) {
  const main = JSON.stringify(mainImport);
  return `import * as worker from ${main};
export * from ${main};
const SECRET = ${JSON.stringify(secret)};
const HEADER = ${JSON.stringify(GATE_HEADER)};
function admitted(request) {
  if (request.headers.get(HEADER) !== SECRET) return null;
  const headers = new Headers(request.headers);
  headers.delete(HEADER);
  return new Request(request, { headers });
}
function refused() {
  return new Response("flareq: the Worker is served on the port dev printed; this one takes requests from it only\\n",
                      { status: 403, headers: { "content-type": "text/plain; charset=utf-8" } });
}
const inner = worker.default;
let gated = inner;
if (typeof inner === "function" && typeof inner.prototype?.fetch === "function") {
  gated = class extends inner {
    fetch(request) {
      const r = admitted(request);
      return r ? super.fetch(r) : refused();
    }
  };
  Object.defineProperty(gated, "name", { value: inner.name });
} else if (inner !== null && typeof inner === "object" && typeof inner.fetch === "function") {
  gated = {};
  for (const key of Object.keys(inner)) gated[key] = typeof inner[key] === "function" ? inner[key].bind(inner) : inner[key];
  gated.fetch = (request, env, ctx) => {
    const r = admitted(request);
    return r ? inner.fetch(r, env, ctx) : refused();
  };
}
export default gated;
`;
}
