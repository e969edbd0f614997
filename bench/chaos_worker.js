// The Worker of `bench/chaos.py --worker`: its queue() reports the body (a number) of every
// message it gets to the harness's collector (env.COLLECTOR) before it acks.
export default {
  async fetch() {
    return new Response("chaos");
  },
  async queue(batch, env) {
    const numbers = batch.messages.map((m) => m.body).join("\n");
    const r = await fetch(env.COLLECTOR, { method: "POST", body: numbers + "\n" });
    if (!r.ok) throw new Error(`collector answered ${r.status}`);
  },
};
