// Sends a handler left in flight, inside the runtime: each invocation of fetch(), queue(),
// scheduled() or email() gets its queue producer bindings watched. When the handler has returned
// (for fetch(), its Response, unless that streams on: server-sent events, a WebSocket) while a
// send() or sendBatch() it started is still in flight, and it gave nothing to ctx.waitUntil(),
// the runtime may cancel the send as the invocation ends, as
// production does, and the message never arrives: the Worker's log says so, once per handler,
// binding and method. (wrangler dev's in-process queue often lets such a send through, so
// without this the loss would show only once deployed.)
//
// The entry gate (front-gate.mjs) calls each of those handlers through watchSends(). Plain
// JavaScript, also loaded by Node's tests.

import { passThrough } from "./r2-events.mjs";  // in the runtime, EVENTS_MODULE (miniflare-shapes.mjs)

export const SENDS_MODULE = "__flareq_unawaited_sends.mjs";
export const WATCHED_HANDLERS = ["fetch", "queue", "scheduled", "email"];

const said = new Set();  // "fetch() env.EVENTS.send()": each said once per isolate

// `queue` (the binding named `binding`), noting its sends in flight in `invocation`.
function watchedQueue(queue, binding, invocation) {
  const watched = (method) => (...args) => {
    const promise = queue[method](...args);
    if (typeof promise?.then !== "function") return promise;
    const send = { what: `env.${binding}.${method}()` };
    invocation.inFlight.add(send);
    const settled = () => invocation.inFlight.delete(send);
    promise.then(settled, settled);
    return promise;
  };
  return passThrough(queue, { send: watched("send"), sendBatch: watched("sendBatch") });
}

// A fetch() whose Response streams on after it returns (server-sent events, a WebSocket) keeps
// its invocation, and so its sends, alive: nothing to say then.
function streamsOn(value, handler) {
  if (handler !== "fetch()" || !value || typeof value !== "object") return false;
  if (value.status === 101 || value.webSocket) return true;
  return /^text\/event-stream/i.test(value.headers?.get?.("content-type") ?? "");
}

function sayUnawaited(invocation, handler, value) {
  if (invocation.inFlight.size === 0 || invocation.waited || streamsOn(value, handler)) return;
  for (const { what } of invocation.inFlight) {
    const key = `${handler} ${what}`;
    if (said.has(key)) continue;
    said.add(key);
    console.warn(`flareq: ${what} was still in flight when ${handler} returned, and nothing awaited it or gave it to ` +
                 "ctx.waitUntil(): the runtime may cancel it as the invocation ends, as production does, and then the " +
                 "message never arrives. await it, or pass it to ctx.waitUntil()");
  }
}

// One invocation's env and ctx with `producers` (binding names) watched, and after(result,
// handler), which returns the handler's result (a promise or not) and, once it has settled, says
// which sends were left in flight.
export function watchInvocation(producers, env, ctx) {
  const present = env && typeof env === "object" ? producers.filter((binding) => env[binding]) : [];
  if (present.length === 0) return { env, ctx, after: (result) => result };
  const invocation = { inFlight: new Set(), waited: false };
  const watchedEnv = { ...env };
  for (const binding of present) watchedEnv[binding] = watchedQueue(env[binding], binding, invocation);
  const watchedCtx = ctx && typeof ctx === "object"
    ? passThrough(ctx, { waitUntil: (promise) => { invocation.waited = true; return ctx.waitUntil(promise); } })
    : ctx;
  const after = (result, handler) => {
    if (!result || typeof result.then !== "function") return sayUnawaited(invocation, handler, result), result;
    return result.then((value) => {
      sayUnawaited(invocation, handler, value);
      return value;
    });
  };
  return { env: watchedEnv, ctx: watchedCtx, after };
}

// Calls a handler, `start(env, ctx)`, as one watched invocation.
export function watchSends(producers, handler, env, ctx, start) {
  const watched = watchInvocation(producers, env, ctx);
  return watched.after(start(watched.env, watched.ctx), handler);
}
