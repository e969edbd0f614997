// unawaited-sends.mjs on its own, with a fake queue binding whose sends settle when the test
// says: which handlers are told of a send left in flight, and which are not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { watchInvocation, watchSends } from "../../worker/unawaited-sends.mjs";
import { warnings } from "./warnings.mjs";

function fakeQueue() {
  const pending = [];
  return {
    pending,
    send(body) { return new Promise((resolve) => pending.push(() => resolve(body))); },
    sendBatch(messages) { return new Promise((resolve) => pending.push(() => resolve(messages))); },
    metrics() { return this === undefined ? "unbound" : "bound"; },
  };
}

const ctx = () => ({ waited: [], waitUntil(p) { this.waited.push(p); } });

test("a send still in flight when fetch() returns, and given to nothing, is said once", async () => {
  const queue = fakeQueue();
  const env = { EVENTS: queue, GREETING: "hi" };
  const said = await warnings(async () => {
    for (let i = 0; i < 2; i++) {
      const response = await watchSends(["EVENTS"], "fetch()", env, ctx(), (e) => {
        assert.equal(e.GREETING, "hi");
        assert.equal(e.EVENTS.metrics(), "bound");  // the binding's other methods, on the binding
        e.EVENTS.send({ n: i });
        return Promise.resolve("response");
      });
      assert.equal(response, "response");
    }
  });
  assert.deepEqual(said, ["flareq: env.EVENTS.send() was still in flight when fetch() returned, and nothing awaited " +
                          "it or gave it to ctx.waitUntil(): the runtime may cancel it as the invocation ends, as " +
                          "production does, and then the message never arrives. await it, or pass it to ctx.waitUntil()"]);
  assert.equal(queue.pending.length, 2);
});

test("awaited sends, sends given to waitUntil, and a handler that throws are not said", async () => {
  const queue = fakeQueue();
  const env = { JOBS: queue };
  const said = await warnings(async () => {
    await watchSends(["JOBS"], "queue()", env, ctx(), async (e) => {
      const sent = e.JOBS.sendBatch([{ body: 1 }]);
      queue.pending.shift()();
      await sent;
    });
    const c = ctx();
    await watchSends(["JOBS"], "scheduled()", env, c, (e, watchedCtx) => watchedCtx.waitUntil(e.JOBS.send(2)));
    assert.equal(c.waited.length, 1, "waitUntil reaches the runtime's ctx");
    await assert.rejects(watchSends(["JOBS"], "fetch()", env, ctx(), async (e) => {
      e.JOBS.send(3);
      throw new Error("the handler's own");
    }), /the handler's own/);
  });
  assert.deepEqual(said, []);
});

test("a Worker without the producer binding in env, or a handler that returns at once, is left as it is", async () => {
  const env = { OTHER: 1 };
  const watched = watchInvocation(["EVENTS"], env, undefined);
  assert.equal(watched.env, env);
  assert.equal(watched.after("now", "fetch()"), "now");
  const queue = fakeQueue();
  const said = await warnings(() => watchSends(["EVENTS"], "email()", { EVENTS: queue }, ctx(), (e) => {
    e.EVENTS.send(1);
    return undefined;  // not a promise: looked at at once
  }));
  assert.equal(said.length, 1);
  assert.match(said[0], /^flareq: env\.EVENTS\.send\(\) was still in flight when email\(\) returned/);
});

test("a fetch() whose Response streams on (server-sent events, a WebSocket) is not said", async () => {
  const queue = fakeQueue();  // a binding of its own: each binding and method is said once per isolate
  const said = await warnings(async () => {
    const events = await watchSends(["LIVE"], "fetch()", { LIVE: queue }, ctx(), (e) => {
      e.LIVE.send({ n: 1 });  // sent while the stream is written: the invocation lives on
      return Promise.resolve(new Response("data: 1\n\n", { headers: { "Content-Type": "text/event-stream" } }));
    });
    assert.equal(events.status, 200);
    await watchSends(["LIVE"], "fetch()", { LIVE: queue }, ctx(), (e) => {
      e.LIVE.send({ n: 2 });
      return Promise.resolve({ status: 101, webSocket: {} });  // a Response with a WebSocket, as workerd has it
    });
  });
  assert.deepEqual(said, []);
  // The same send with an ordinary Response is said.
  const plain = await warnings(() => watchSends(["LIVE"], "fetch()", { LIVE: queue }, ctx(), (e) => {
    e.LIVE.send({ n: 3 });
    return Promise.resolve(new Response("ok"));
  }));
  assert.equal(plain.length, 1);
});
