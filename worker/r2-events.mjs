// R2 event notifications from the Worker's own R2 bindings, inside the runtime: each R2 binding
// the Worker's handlers receive in `env` is replaced by the same bucket with put(), delete() and
// multipart complete() followed by a report to flareq (POST /client/v4/flareq/r2/events through
// the EVENTS_BINDING service, which the Miniflare plugin points at flareq's API). flareq commits
// the notification of a matching rule before it answers, and the wrapped call returns only then:
// a Worker that has its put() back knows its notification is in the queue. A write that fails
// (throws, or a put whose condition did not hold) reports nothing.
//
// The entry gate (front-gate.mjs) applies withR2Events to the env of every handler. This is
// the one file that knows how the calls are seen, so another way (a Miniflare that wraps
// bindings itself) would replace only it. It is plain JavaScript, also loaded by Node's tests.

export const EVENTS_MODULE = "__flareq_r2_events.mjs";
export const EVENTS_BINDING = "__flareq_r2_events";

// Sends one event to flareq; a refusal is logged (the write itself happened and stands).
async function report(service, event) {
  const response = await service.fetch("http://flareq/client/v4/flareq/r2/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  if (!response.ok)
    console.error(`flareq: the event notification of ${event.action} ${event.key} in bucket ${event.bucket} ` +
                  `was not sent: ${await response.text()}`);
  else await response.body?.cancel?.();
}

// The same property of `target`, functions bound to it (native objects want their own `this`),
// except those in `overrides`. (unawaited-sends.mjs wraps queue bindings with it too.)
export function passThrough(target, overrides) {
  return new Proxy(target, {
    get(t, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property];
      const value = Reflect.get(t, property);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}

// `bucket` (the binding), reporting its writes as bucket `name`.
export function wrapBucket(bucket, name, send) {
  const created = (action, object) => send({ bucket: name, action, key: object.key, size: object.size, eTag: object.etag });
  const upload = (u) =>
    passThrough(u, {
      async complete(...args) {
        const object = await u.complete(...args);
        await created("CompleteMultipartUpload", object);
        return object;
      },
    });
  return passThrough(bucket, {
    async put(...args) {
      const object = await bucket.put(...args);
      if (object) await created("PutObject", object);  // null: an onlyIf condition failed, nothing written
      return object;
    },
    async delete(keys) {
      const result = await bucket.delete(keys);
      for (const key of Array.isArray(keys) ? keys : [keys]) await send({ bucket: name, action: "DeleteObject", key });
      return result;
    },
    async createMultipartUpload(...args) {
      return upload(await bucket.createMultipartUpload(...args));
    },
    resumeMultipartUpload(...args) {
      return upload(bucket.resumeMultipartUpload(...args));
    },
  });
}

const wrapped = new WeakMap();

// `env` with each binding of `buckets` ({BINDING: "bucket-name"}) reporting its writes, and
// without flareq's own service; `env` itself when there is nothing to report to.
export function withR2Events(env, buckets) {
  if (env === null || typeof env !== "object" || !env[EVENTS_BINDING]) return env;
  let result = wrapped.get(env);
  if (result) return result;
  const service = env[EVENTS_BINDING];
  const send = (event) => report(service, event);
  result = { ...env };
  delete result[EVENTS_BINDING];
  for (const [binding, name] of Object.entries(buckets))
    if (result[binding]) result[binding] = wrapBucket(result[binding], name, send);
  wrapped.set(env, result);
  return result;
}
