// The official `cloudflare` npm SDK against `flareq dev`: queues, push, batch push, pull,
// ack, consumers, metrics. Usage: node sdk_test.mjs http://127.0.0.1:PORT/client/v4
import assert from 'node:assert/strict';
import Cloudflare from 'cloudflare';

const client = new Cloudflare({ apiToken: 'local-token', baseURL: process.argv[2], maxRetries: 0 });
const account_id = 'local';

const queue = await client.queues.create({ account_id, queue_name: 'sdk-orders' });
assert.equal(queue.queue_name, 'sdk-orders');
assert.match(queue.queue_id, /^[0-9a-f]{32}$/);

const fetched = await client.queues.get(queue.queue_id, { account_id });
assert.equal(fetched.queue_name, 'sdk-orders');
const names = [];
for await (const q of client.queues.list({ account_id })) names.push(q.queue_name);
assert.deepEqual(names, ['sdk-orders']);

await client.queues.messages.push(queue.queue_id, { account_id, body: { type: 'welcome-email', userId: 123 } });
await client.queues.messages.bulkPush(queue.queue_id, {
  account_id,
  messages: [{ body: { n: 1 } }, { body: 'two', content_type: 'text' }],
});
const metrics = await client.queues.getMetrics(queue.queue_id, { account_id });
assert.equal(metrics.backlog_count, 3);

const edited = await client.queues.edit(queue.queue_id, { account_id, settings: { delivery_delay: 5 } });
assert.equal(edited.settings.delivery_delay, 5);

const consumer = await client.queues.consumers.create(queue.queue_id, {
  account_id, type: 'http_pull', settings: { batch_size: 10, visibility_timeout_ms: 60000 },
});
assert.equal(consumer.type, 'http_pull');
const consumers = [];
for await (const c of client.queues.consumers.list(queue.queue_id, { account_id })) consumers.push(c);
assert.equal(consumers.length, 1);

const pulled = await client.queues.messages.pull(queue.queue_id, { account_id, batch_size: 10, visibility_timeout_ms: 30000 });
assert.equal(pulled.messages.length, 3);
assert.equal(pulled.messages[2].body, 'two');
const acked = await client.queues.messages.ack(queue.queue_id, {
  account_id,
  acks: pulled.messages.slice(0, 2).map((m) => ({ lease_id: m.lease_id })),
  retries: [{ lease_id: pulled.messages[2].lease_id, delay_seconds: 0 }],
});
assert.equal(acked.ackCount, 2);
assert.equal(acked.retryCount, 1);

// Errors come back as exceptions with the status and the envelope's errors.
await assert.rejects(client.queues.get('missing-queue', { account_id }), (e) => e.status === 404);

await client.queues.delete(queue.queue_id, { account_id });
console.log('cloudflare SDK 7.3.0: queues, push, batch push, metrics, edit, consumers, pull, ack: ok');
