// A Worker that sends what its requests ask for, and whose queue() does what each message
// says, reporting every delivery on the "results" queue for the test to read.
import { env as importedEnv } from "cloudflare:workers";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    try {
      switch (url.pathname) {
        case "/vars":
          return new Response(env.GREETING);
        case "/echo":  // what reached the Worker, for the tests of the Worker's port
          return Response.json({ url: request.url, method: request.method, body: await request.text(),
                                 headers: Object.fromEntries(request.headers) });
        case "/ws": {  // a WebSocket that echoes
          const [client, server] = Object.values(new WebSocketPair());
          server.accept();
          server.addEventListener("message", (event) => server.send(`echo ${event.data}`));
          return new Response(null, { status: 101, webSocket: client });
        }
        case "/send": {
          const type = q.get("type") ?? "json";
          const body = { json: { kind: "json", n: 1 }, text: "hello", bytes: new Uint8Array([1, 2, 255]) }[type];
          const options = { contentType: type };
          if (q.has("delay")) options.delaySeconds = Number(q.get("delay"));
          await env.INBOX.send(body, options);
          return Response.json({ ok: true });
        }
        case "/send-batch":
          await env.INBOX.sendBatch(
            [{ body: { n: 1 } }, { body: "two", contentType: "text" }, { body: { n: 3 }, delaySeconds: 60 }],
            { delaySeconds: q.has("delay") ? Number(q.get("delay")) : undefined });
          return Response.json({ ok: true });
        case "/send-later":  // a producer with delivery_delay 120, unless the send gives its own
          await env.LATER.send({ n: 1 }, q.has("delay") ? { delaySeconds: Number(q.get("delay")) } : {});
          return Response.json({ ok: true });
        case "/send-unawaited":  // a mistake: the runtime may cancel the send as the response goes
          env.INBOX.send({ n: "unawaited" });
          return Response.json({ ok: true });
        case "/send-unawaited-via-import":  // the same mistake, by the env of "cloudflare:workers"
          importedEnv.LATER.send({ n: "unawaited" });
          return Response.json({ ok: true });
        case "/send-big":
          await env.INBOX.send("x".repeat(130000), { contentType: "text" });
          return Response.json({ ok: true });
        case "/job": {
          const job = { action: q.get("action"), tag: q.get("tag") ?? "" };
          if (job.action === "v8")
            await env.JOBS.send({ ...job, d: new Date(86400000), m: new Map([["k", 1]]), t: new Uint16Array([7, 65535]) },
                                { contentType: "v8" });
          else await env.JOBS.send(job);
          return Response.json({ ok: true });
        }
      }
      return new Response("no such route", { status: 404 });
    } catch (e) {
      return new Response(String(e.message), { status: 500 });
    }
  },

  async scheduled(controller, env) {  // a cron, run by hand at /cdn-cgi/handler/scheduled
    await env.RESULTS.send({ scheduled: controller.cron });
  },

  async queue(batch, env, ctx) {
    // Thrown before any await: the whole call stack is in the error's, flareq's calls included.
    if (batch.messages[0]?.body?.action === "throw-at-once") throw new Error("thrown at once");
    if (batch.queue === "slow") {  // reports when it ran, so the test can count batches running at once
      const start = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await env.RESULTS.send({ tag: batch.messages[0].body.tag, start, end: Date.now() });
      return;
    }
    for (const m of batch.messages) {
      const job = m.body;
      const metrics = batch.metadata?.metrics ?? {};
      const seen = { action: job.action, tag: job.tag, attempts: m.attempts, id: m.id, queue: batch.queue,
                     timestampIsDate: m.timestamp instanceof Date,
                     backlog: { count: metrics.backlogCount, bytes: metrics.backlogBytes,
                                oldestIsDate: metrics.oldestMessageTimestamp instanceof Date } };
      if (job.action === "v8")
        seen.v8 = job.d instanceof Date && job.d.getTime() === 86400000 && job.m instanceof Map && job.m.get("k") === 1 &&
                  job.t instanceof Uint16Array && job.t[1] === 65535;
      await env.RESULTS.send(seen);
      console.log(`queue() got ${job.tag}`);
      switch (job.action) {
        case "ack": m.ack(); break;
        case "retry": m.retry(); break;
        case "retry-delay": m.retry({ delaySeconds: 600 }); break;
        case "ack-all": batch.ackAll(); break;
        case "retry-all": batch.retryAll({ delaySeconds: 600 }); break;
        case "throw-after-ack": m.ack(); throw new Error("thrown after ack");
        case "throw": throw new Error("thrown on purpose");
        case "reject-wait-until": ctx.waitUntil(Promise.reject(new Error("waitUntil rejected"))); break;
        case "hang-forever": await new Promise(() => {}); break;  // nothing can settle it: the runtime ends it
        case "hang-once": if (m.attempts === 1) await new Promise((resolve) => setTimeout(resolve, 60000)); break;
        default: break;  // implicit ack
      }
    }
  },
};
