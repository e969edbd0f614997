// fetch() sends one message (or, on /batch, 100 with sendBatch); queue() counts what it got
// and prints the running total, which the benchmark reads from the log.
let received = 0;

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/ping") return new Response("pong");
    if (pathname === "/batch") {
      await env.EVENTS.sendBatch(Array.from({ length: 100 }, (_, i) => ({ body: { i } })));
      return new Response("ok");
    }
    await env.EVENTS.send({ type: "welcome-email", userId: 123 });
    return new Response("ok");
  },
  async queue(batch) {
    received += batch.messages.length;
    console.log(`received ${received}`);
  },
};
