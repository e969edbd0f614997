// fetch() queues an order and answers at once; queue() logs each order and acks it.
export default {
  async fetch(request, env) {
    const id = new URL(request.url).searchParams.get("id") ?? "none";
    await env.ORDERS.send({ id });
    return new Response(`queued ${id}\n`);
  },
  async queue(batch) {
    for (const message of batch.messages) {
      console.log(`order ${message.body.id} fulfilled`);
      message.ack();
    }
  },
};
