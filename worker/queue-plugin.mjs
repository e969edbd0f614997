// A Miniflare plugin (loaded through "unsafe" bindings) that joins the Worker's runtime to flareq.
//
// Producers: each Queue binding is a real, native one whose other end is flareq itself:
// workerd serializes each send as in production and posts it (POST /message, POST /batch)
// straight to flareq's API port, which speaks the runtime's Queue binding protocol and answers
// once it has committed the message. Each binding's service is flareq's address with the
// queue's name (and the token, and the producer's delivery_delay) added to every request.
//
// Consumers: one entry of kind "delivery" (added by the host, not a binding of the Worker: it
// gives the Worker no binding) adds the delivery service (delivery.worker.mjs), bound to the
// user's Worker, which flareq posts batches to.
import { readFileSync } from "node:fs";

export const DELIVERY_SERVICE = "__flareq_delivery";
const deliverySource = readFileSync(new URL("./delivery.worker.mjs", import.meta.url), "utf8");

function queueService(binding) {
  const o = binding.options;
  const headers = [
    { name: "Host", value: o.apiAddress },  // flareq refuses any Host but its own
    { name: "X-Flareq-Queue", value: o.queue },
  ];
  if (o.apiToken) headers.push({ name: "Authorization", value: `Bearer ${o.apiToken}` });
  if (o.deliveryDelay !== undefined) headers.push({ name: "X-Flareq-Delivery-Delay", value: String(o.deliveryDelay) });
  return { name: `flareq:queue:${o.queue}`, external: { address: o.apiAddress, http: { injectRequestHeaders: headers } } };
}

// Miniflare names a Worker's service core:user:<name>; a direct socket names its service so too.
function deliveryService(binding) {
  return {
    name: `core:user:${DELIVERY_SERVICE}`,
    worker: {
      compatibilityDate: "2025-01-01",
      compatibilityFlags: ["service_binding_extra_handlers"],  // env.USER.queue(): the queue event
      modules: [{ name: "delivery.worker.mjs", esModule: deliverySource }],
      bindings: [
        { name: "USER", service: { name: `core:user:${binding.options.worker}` } },
        { name: "SECRET", text: binding.options.secret },
      ],
    },
  };
}

// R2 events: one entry of kind "r2-events", a service binding to flareq's API that the Worker's
// R2 writes are reported through (r2-events.mjs).
function eventsService(binding) {
  const o = binding.options;
  const headers = [{ name: "Host", value: o.apiAddress }];
  if (o.apiToken) headers.push({ name: "Authorization", value: `Bearer ${o.apiToken}` });
  return { name: "flareq:r2-events", external: { address: o.apiAddress, http: { injectRequestHeaders: headers } } };
}

const isDelivery = (binding) => binding.options.kind === "delivery";
const isEvents = (binding) => binding.options.kind === "r2-events";
const PLUGIN = "flareq-queue";

// This plugin's bindings, as {name, options}, from what Miniflare hands a plugin: Miniflare 4
// gives the plugin's own bindings as a list; Miniflare 5 gives the whole Worker's options,
// whose env holds every binding ("unsafe:…" ones with the plugin that serves them).
function ours(given) {
  if (Array.isArray(given)) return given;
  return Object.entries(given?.config?.env ?? {})
    .filter(([, b]) => b?.dev?.plugin?.name === PLUGIN)
    .map(([name, b]) => ({ name, options: b.dev.options ?? {} }));
}

export const plugins = {
  [PLUGIN]: {
    getBindings(given) {
      return ours(given).filter((b) => !isDelivery(b))
        .map((b) => (isEvents(b) ? { name: b.name, service: { name: "flareq:r2-events" } }
                                 : { name: b.name, queue: { name: `flareq:queue:${b.options.queue}` } }));
    },
    getNodeBindings() {
      return {};
    },
    getServices({ options }) {
      return ours(options).map((b) => (isDelivery(b) ? deliveryService(b) : isEvents(b) ? eventsService(b) : queueService(b)));
    },
  },
};
