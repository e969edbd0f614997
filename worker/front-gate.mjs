// The gate in front of the Worker's fetch(), inside the runtime: flareq's Worker front adds a
// secret header (one per dev) to every request it passes on, and the gate refuses a request
// without it before the user's code runs, then removes it. So a page that finds the runtime's
// own loopback port (a scan of 127.0.0.1 from a browser takes seconds) reaches the Worker only
// through the front, which holds each request to the local safety rules.
//
// The gate is a module that becomes the Worker's entry point: it re-exports everything of the
// Worker's own entry module (Durable Objects, named entrypoints) and wraps its default export
// (an object's handlers, or a WorkerEntrypoint class): fetch() is gated when there is a
// secret, and every handler gets its env with the R2 bindings of `buckets` reporting their
// writes (r2-events.mjs). miniflare-shapes.mjs puts it in place.
import { EVENTS_MODULE } from "./r2-events.mjs";

export const GATE_MODULE = "__flareq_front_gate.mjs";
export const GATE_HEADER = "x-flareq-front";

// The gate's source, importing the Worker's entry module from `mainImport` ("./index.js").
// secret: what fetch() asks of every request ("" for no gate); buckets: {BINDING: "bucket"}.
export function gateSource(mainImport, { secret = "", buckets = {} } = {}) {
  const main = JSON.stringify(mainImport);
  return `import * as worker from ${main};
import { withR2Events } from ${JSON.stringify("./" + EVENTS_MODULE)};
export * from ${main};
const SECRET = ${JSON.stringify(secret)};
const HEADER = ${JSON.stringify(GATE_HEADER)};
const BUCKETS = ${JSON.stringify(buckets)};
const envOf = (env) => withR2Events(env, BUCKETS);
function admitted(request) {
  if (!SECRET) return request;
  if (request.headers.get(HEADER) !== SECRET) return null;
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
const inner = worker.default;
let gated = inner;
if (typeof inner === "function" && typeof inner.prototype?.fetch === "function") {
  gated = class extends inner {
    constructor(ctx, env) {
      super(ctx, envOf(env));
    }
    fetch(request) {
      if (isR2Write(request)) return r2Write(request, this.env);
      const r = admitted(request);
      return r ? super.fetch(r) : refused();
    }
  };
  Object.defineProperty(gated, "name", { value: inner.name });
} else if (typeof inner === "function" && inner.prototype && Object.keys(BUCKETS).length) {
  gated = class extends inner {
    constructor(ctx, env) {
      super(ctx, envOf(env));
    }
    fetch(request) {
      return isR2Write(request) ? r2Write(request, this.env) : new Response("the Worker has no fetch()\\n", { status: 501 });
    }
  };
  Object.defineProperty(gated, "name", { value: inner.name });
} else if (inner !== null && typeof inner === "object") {
  gated = {};
  for (const key of Object.keys(inner)) {
    const value = inner[key];
    // Every handler takes (event, env, ctx).
    gated[key] = typeof value === "function" ? (event, env, ctx) => value.call(inner, event, envOf(env), ctx) : value;
  }
  if (typeof inner.fetch === "function")
    gated.fetch = (request, env, ctx) => {
      if (isR2Write(request)) return r2Write(request, env);
      const r = admitted(request);
      return r ? inner.fetch(r, envOf(env), ctx) : refused();
    };
  else if (Object.keys(BUCKETS).length)
    gated.fetch = (request, env) => isR2Write(request) ? r2Write(request, env)
      : new Response("the Worker has no fetch()\\n", { status: 501 });
}
export default gated;
`;
}
