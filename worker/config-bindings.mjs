// What a Worker's config (as wrangler reads it, for the environment dev runs) means for what
// the Worker host adds to the Worker: its queue producer bindings as flareq's, the service that
// reports its R2 writes, and the names the entry gate needs (producers, peers, buckets, the
// classes the runtime makes instances of). Pure functions of the config; plain JavaScript, also
// loaded by Node's tests.
import { EVENTS_BINDING } from "./r2-events.mjs";

// What the binding of each producer looks like to wrangler: an "unsafe" binding whose local
// side is flareq's Miniflare plugin (native Queue bindings posting to flareq at `apiUrl`).
// With R2 buckets, one more: the service through which the Worker's R2 writes are reported
// (r2-events.mjs; the gate takes it out of the env the Worker's code sees).
// plugin: {package, name} of queue-plugin.mjs.
export function producerBindings(config, { plugin, apiUrl, apiToken = "" }) {
  const apiAddress = new URL(apiUrl).host;
  const bindings = {};
  if (Object.keys(r2Buckets(config)).length)
    bindings[EVENTS_BINDING] = {
      type: "unsafe_r2_event_notifications",
      dev: { plugin, options: { kind: "r2-events", apiAddress, apiToken } },
    };
  for (const p of config.queues?.producers ?? []) {
    bindings[p.binding] = {
      // wrangler's bindings table shows what follows "unsafe_" beside the binding: the queue.
      type: `unsafe_${p.queue ?? p.binding}`,
      dev: {
        plugin,
        options: {
          queue: p.queue ?? p.binding,
          apiAddress,
          apiToken,
          ...(p.delivery_delay === undefined ? {} : { deliveryDelay: p.delivery_delay }),
        },
      },
    };
  }
  return bindings;
}

// The Worker's queue producer bindings, by name.
export function queueProducers(config) {
  return (config.queues?.producers ?? []).map((p) => p?.binding).filter(Boolean);
}

// The Worker's service bindings to `peers`, the other Workers of this dev (by name): a request
// passed on through one carries the secret they share.
export function peerBindings(config, peers) {
  return (config.services ?? []).filter((s) => s?.binding && peers.includes(s.service)).map((s) => s.binding);
}

// The Worker's R2 bindings, {BINDING: "bucket-name"}: the bucket a notification names is the
// one the binding writes to locally (bucket_name, as wrangler dev stores it).
export function r2Buckets(config) {
  const buckets = {};
  for (const b of config.r2_buckets ?? []) if (b?.binding) buckets[b.binding] = b.bucket_name ?? b.binding;
  return buckets;
}

// The classes of this Worker that the runtime makes instances of with an env: its Durable
// Objects and Workflows (those of another script are that Worker's).
export function ownClassNames(config) {
  const own = (c) => c?.class_name && (!c.script_name || c.script_name === config.name);
  return [...(config.durable_objects?.bindings ?? []), ...(config.workflows ?? [])].filter(own).map((c) => c.class_name);
}
