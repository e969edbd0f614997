// The delivery service of `flareq dev`, inside workerd beside the user's Worker: flareq posts a
// batch document (the handler protocol's) to it, it calls the Worker's queue() in-process
// through a service binding (env.USER, the runtime's own queue event), and answers with the
// handler protocol's result object built from the runtime's verdict. The Worker host loads the
// same module for toQueueMessage() and toResult() when it calls queue() from Node instead.

// What the service logs after queue() returned, followed by flareq's mark for the batch. (Only
// functions and handlers may be exported: workerd takes every export for an entrypoint.)
const MARK_PREFIX = "flareq-mark ";
export const isMark = (text) => typeof text === "string" && text.startsWith(MARK_PREFIX);

// A batch document's message as the runtime's queue event takes it: the body decoded by
// content type (a v8 body stays serialized: the runtime deserializes it in the Worker).
export function toQueueMessage(m) {
  const message = { id: m.id, timestamp: new Date(m.timestampMs), attempts: m.attempts };
  if (m.contentType === "v8") message.serializedBody = fromBase64(m.body);
  else if (m.contentType === "bytes") message.body = fromBase64(m.body).buffer;
  else message.body = m.body;
  return message;
}

// The batch's metadata as production gives it to queue(): batch.metadata.metrics.
export function toMetadata(doc) {
  const metrics = doc.metadata?.metrics ?? {};
  return {
    metrics: {
      backlogCount: metrics.backlogCount ?? 0,
      backlogBytes: metrics.backlogBytes ?? 0,
      oldestMessageTimestamp: metrics.oldestMessageTimestampMs ? new Date(metrics.oldestMessageTimestampMs) : undefined,
    },
  };
}

// The runtime's verdict, in the handler protocol's words; flareq applies its rules to it.
export function toResult(verdict) {
  const result = { outcome: verdict.outcome === "ok" ? "ok" : "exception" };
  if (verdict.explicitAcks?.length) result.acks = verdict.explicitAcks;
  if (verdict.retryMessages?.length)
    result.retries = verdict.retryMessages.map((r) =>
      r.delaySeconds === undefined ? { id: r.msgId } : { id: r.msgId, delaySeconds: r.delaySeconds });
  if (verdict.ackAll) result.ackAll = true;
  if (verdict.retryBatch?.retry)
    result.retryAll = verdict.retryBatch.delaySeconds === undefined ? {} : { delaySeconds: verdict.retryBatch.delaySeconds };
  if (result.outcome !== "ok") result.error = `queue() ended with outcome "${verdict.outcome}"`;
  return result;
}

function fromBase64(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

// What queue() threw, as the front gate (front-gate.mjs) kept it for the batch: asked of the
// Worker itself, with this service's secret, under the gate's THROWN_HEADER and BATCH_HEADER.
async function thrownBy(env, doc) {
  const first = doc.messages[0]?.id;
  if (first === undefined) return "";
  const asked = await env.USER.fetch("http://flareq/thrown", {
    headers: { "x-flareq-thrown": env.SECRET, "x-flareq-batch": first },
  });
  return asked.ok ? await asked.text() : "";
}

// Whether the request carries the secret that flareq gave the host: nothing else (another
// local process, a web page posting across origins) can make the Worker run a batch.
function fromFlareq(request, env) {
  const given = new TextEncoder().encode(request.headers.get("X-Flareq-Delivery-Secret") ?? "");
  const secret = new TextEncoder().encode(env.SECRET);
  return given.byteLength === secret.byteLength && crypto.subtle.timingSafeEqual(given, secret);
}

// The entrypoint of the delivery socket (a named one: a Worker with static assets routes its
// default entrypoint to them).
export const deliver = {
  async fetch(request, env) {
    if (!fromFlareq(request, env)) return new Response("not flareq\n", { status: 403 });
    if (request.method !== "POST") return new Response("POST a batch document\n", { status: 405 });
    let result;
    try {
      const doc = await request.json();
      const verdict = await env.USER.queue(doc.queue, doc.messages.map(toQueueMessage), toMetadata(doc));
      result = toResult(verdict);
      if (result.outcome !== "ok") {
        const thrown = await thrownBy(env, doc).catch(() => "");
        if (thrown) result.error = thrown;
      }
    } catch (e) {
      result = { outcome: "exception", error: `queue() could not be called: ${e?.message ?? e}` };
    }
    // After everything queue() printed, on the same way to the log (through the host): flareq
    // waits for it before it reports the batch, so the log shows causes before their effects.
    const mark = request.headers.get("X-Flareq-Mark");
    if (mark) console.log(`${MARK_PREFIX}${mark}`);
    return Response.json(result);
  },
};

export default deliver;
