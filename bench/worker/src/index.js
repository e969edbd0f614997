// The Worker of bench/worker_vs_wrangler.py, run under `wrangler dev` and under `flareq dev`.
// fetch() sends one message (or, on /batch, 100 with sendBatch; on /latency, one stamped with
// the time to the queue of batch size 1; on /park, one to a queue that nothing consumes; on
// /ping, none); queue() counts what it got and prints the running
// total, or each message's latency, which the benchmark reads from the log.
let received = 0;

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/ping") return new Response("pong");
    if (pathname === "/park") {
      // To a queue no consumer reads: the send's own cost, with no delivery running meanwhile.
      await env.PARKED.send({ type: "welcome-email", userId: 123 });
      return new Response("ok");
    }
    if (pathname === "/batch") {
      await env.EVENTS.sendBatch(Array.from({ length: 100 }, (_, i) => ({ body: { i } })));
      return new Response("ok");
    }
    if (pathname === "/latency") {
      await env.LATENCY.send({ sentAt: Date.now() });
      return new Response("ok");
    }
    await env.EVENTS.send({ type: "welcome-email", userId: 123 });
    return new Response("ok");
  },
  async queue(batch) {
    if (batch.queue === "bench-latency") {
      for (const m of batch.messages) console.log(`latency ${Date.now() - m.body.sentAt}`);
      return;
    }
    received += batch.messages.length;
    console.log(`received ${received}`);
  },
};
