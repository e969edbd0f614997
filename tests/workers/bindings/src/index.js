// Writes to and reads from each of the config's other bindings; the test reads them back under
// flareq dev and under wrangler dev.
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

export class Counter extends DurableObject {
  async add() {
    const n = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return n;
  }
}

export class Greeter extends WorkerEntrypoint {
  hello(name) {
    return `hello ${name}`;
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    const counter = env.COUNTER.get(env.COUNTER.idFromName("visits"));
    if (pathname === "/write") {
      await env.KV.put("k", "kv-value");
      await env.DB.exec("CREATE TABLE IF NOT EXISTS t (v TEXT)");
      await env.DB.prepare("INSERT INTO t (v) VALUES (?)").bind("d1-value").run();
      await env.BUCKET.put("o", "r2-value");
      return Response.json({ counter: await counter.add() });
    }
    if (pathname === "/read") {
      const object = await env.BUCKET.get("o");
      return Response.json({
        kv: await env.KV.get("k"),
        d1: (await env.DB.prepare("SELECT v FROM t").all()).results.map((row) => row.v),
        r2: object ? await object.text() : null,
        counter: await counter.add(),
        service: await env.GREETER.hello("rpc"),
      });
    }
    return new Response("no such route", { status: 404 });
  },
};
