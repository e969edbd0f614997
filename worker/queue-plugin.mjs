// A Miniflare plugin (loaded through a wrangler "unsafe" binding) that gives the Worker real,
// native Queue producer bindings whose other end is flareq: workerd serializes each send as
// in production and posts it to a small relay Worker, which hands it to flareq's HTTP API and
// answers only once flareq has committed the message.
import { readFileSync } from "node:fs";

const RELAY = readFileSync(new URL("./relay.worker.js", import.meta.url), "utf8");
const API_SERVICE = "flareq:api";

function relayService(binding) {
  const o = binding.options;
  return {
    name: `flareq:queue:${o.queue}`,
    worker: {
      compatibilityDate: "2024-09-23",
      modules: [{ name: "relay.worker.js", esModule: RELAY }],
      bindings: [
        { name: "FLAREQ", service: { name: API_SERVICE } },
        { name: "QUEUE", text: o.queue },
        { name: "API_ADDRESS", text: o.apiAddress },
        { name: "API_PATH", text: o.apiPath },
        { name: "API_TOKEN", text: o.apiToken ?? "" },
        { name: "DELIVERY_DELAY", text: o.deliveryDelay === undefined ? "" : String(o.deliveryDelay) },
      ],
    },
  };
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
      if (!options || options.length === 0) return [];
      const services = options.map(relayService);
      services.push({ name: API_SERVICE, external: { address: options[0].options.apiAddress, http: {} } });
      return services;
    },
  },
};
