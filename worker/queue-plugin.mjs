// A Miniflare plugin (loaded through a wrangler "unsafe" binding) that gives the Worker real,
// native Queue producer bindings whose other end is flareq itself: workerd serializes each
// send as in production and posts it (POST /message, POST /batch) straight to flareq's API
// port, which speaks the runtime's Queue binding protocol and answers once it has committed
// the message. Each binding's service is flareq's address with the queue's name (and the
// token, and the producer's delivery_delay) added to every request.
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

export const plugins = {
  "flareq-queue": {
    getBindings(bindings) {
      return (bindings ?? []).map((b) => ({ name: b.name, queue: { name: `flareq:queue:${b.options.queue}` } }));
    },
    getNodeBindings() {
      return {};
    },
    getServices({ options }) {
      return (options ?? []).map(queueService);
    },
  },
};
