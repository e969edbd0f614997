import ms from "ms";
import { Buffer } from "node:buffer";

interface Env {
  EVENTS: Queue<{ type: string; userId: number }>;
  RESULTS: Queue<{ took: number; encoded: string }>;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const type = new URL(request.url).searchParams.get("type") ?? "welcome-email";
    await env.EVENTS.send({ type, userId: 123 });
    return Response.json({ ok: true });
  },
  async queue(batch: MessageBatch<{ type: string; userId: number }>, env: Env): Promise<void> {
    for (const message of batch.messages) {
      if (message.body.type === "throw") throw new TypeError(`no such type: ${message.body.type satisfies string}`);
      await env.RESULTS.send({ took: ms("2 days"), encoded: Buffer.from(message.body.type).toString("base64") });
      message.ack();
    }
  },
} satisfies ExportedHandler<Env>;
