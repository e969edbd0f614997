// The backend Worker: says what each request carried, adds, and counts the messages it consumes.
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

export class Tally extends DurableObject {
  async add(n) {
    const total = ((await this.ctx.storage.get("total")) ?? 0) + n;
    await this.ctx.storage.put("total", total);
    return total;
  }
  async count() {
    return (await this.ctx.storage.get("total")) ?? 0;
  }
}

export default class extends WorkerEntrypoint {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    return Response.json({ path: pathname, flareqHeader: request.headers.has("x-flareq-front") });
  }
  async sum(a, b) {
    return a + b;
  }
  async queue(batch) {
    await this.env.TALLY.get(this.env.TALLY.idFromName("t")).add(batch.messages.length);
  }
}
