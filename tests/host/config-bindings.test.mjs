// config-bindings.mjs on its own: what a Worker's config means for the bindings and names the
// Worker host adds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ownClassNames, peerBindings, producerBindings, queueProducers, r2Buckets } from "../../worker/config-bindings.mjs";
import { EVENTS_BINDING } from "../../worker/r2-events.mjs";

const plugin = { package: "/x/queue-plugin.mjs", name: "flareq-queue" };

test("each producer becomes flareq's binding for its queue, with the delivery delay it declares", () => {
  const config = { queues: { producers: [{ binding: "JOBS", queue: "jobs", delivery_delay: 30 }, { binding: "AUDIT", queue: "audit" }] } };
  const bindings = producerBindings(config, { plugin, apiUrl: "http://127.0.0.1:8788", apiToken: "t" });
  assert.deepEqual(Object.keys(bindings), ["JOBS", "AUDIT"]);
  assert.deepEqual(bindings.JOBS, { type: "unsafe_jobs", dev: { plugin, options: {
    queue: "jobs", apiAddress: "127.0.0.1:8788", apiToken: "t", deliveryDelay: 30 } } });
  assert.equal(bindings.AUDIT.dev.options.deliveryDelay, undefined);
  assert.deepEqual(queueProducers(config), ["JOBS", "AUDIT"]);
});

test("R2 buckets add the service that reports writes, and name the bucket each binding writes to", () => {
  const config = { r2_buckets: [{ binding: "PHOTOS", bucket_name: "photos" }, { binding: "RAW" }, { bucket_name: "no-binding" }] };
  assert.deepEqual(r2Buckets(config), { PHOTOS: "photos", RAW: "RAW" });
  const bindings = producerBindings(config, { plugin, apiUrl: "http://127.0.0.1:9000" });
  assert.deepEqual(bindings[EVENTS_BINDING], { type: "unsafe_r2_event_notifications",
    dev: { plugin, options: { kind: "r2-events", apiAddress: "127.0.0.1:9000", apiToken: "" } } });
  assert.deepEqual(Object.keys(producerBindings({}, { plugin, apiUrl: "http://127.0.0.1:9000" })), [], "no bucket, no service");
});

test("peers are the service bindings to this dev's other Workers; own classes leave out another script's", () => {
  const config = { name: "api", services: [{ binding: "AUTH", service: "auth" }, { binding: "PAY", service: "payments" }, { service: "auth" }],
                   durable_objects: { bindings: [{ name: "ROOM", class_name: "Room" }, { name: "OTHER", class_name: "Foreign", script_name: "other" },
                                                 { name: "SELF", class_name: "Mine", script_name: "api" }] },
                   workflows: [{ name: "import", binding: "IMPORT", class_name: "Importer" }] };
  assert.deepEqual(peerBindings(config, ["auth"]), ["AUTH"]);
  assert.deepEqual(peerBindings(config, []), []);
  assert.deepEqual(ownClassNames(config), ["Room", "Mine", "Importer"]);
});
