// r2-events.mjs on its own, with a fake bucket: which calls report what, and what the Worker's
// code sees of env.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EVENTS_BINDING, withR2Events, wrapBucket } from "../../worker/r2-events.mjs";

function fakeBucket() {
  const calls = [];
  const object = (key, size) => ({ key, size, etag: `etag-of-${key}` });
  return {
    calls,
    async put(key, value, options) {
      calls.push(["put", key]);
      return options?.onlyIf ? null : object(key, String(value).length);
    },
    async delete(keys) { calls.push(["delete", keys]); },
    async get(key) { calls.push(["get", key]); return object(key, 1); },
    async createMultipartUpload(key) {
      return { key, uploadId: "u1", async uploadPart() { return { partNumber: 1, etag: "p" }; },
               async complete() { return { key, size: 10, etag: "m-1" }; }, async abort() {} };
    },
    resumeMultipartUpload(key) {
      return { key, uploadId: "u1", async complete() { return { key, size: 20, etag: "m-2" }; } };
    },
  };
}

test("put, delete and complete report what R2 answered; a refused put and reads report nothing", async () => {
  const sent = [];
  const bucket = fakeBucket();
  const wrapped = wrapBucket(bucket, "uploads", async (e) => { sent.push(e); });
  assert.deepEqual(await wrapped.put("a.png", "12345"), { key: "a.png", size: 5, etag: "etag-of-a.png" });
  assert.equal(await wrapped.put("a.png", "x", { onlyIf: { etagDoesNotMatch: "*" } }), null);
  await wrapped.get("a.png");
  await wrapped.delete(["a.png", "b.png"]);
  await wrapped.delete("c.png");
  const upload = await wrapped.createMultipartUpload("big.bin");
  assert.equal(upload.uploadId, "u1");
  await upload.uploadPart(1, "x");
  await upload.complete([]);
  await wrapped.resumeMultipartUpload("big2.bin", "u1").complete([]);
  assert.deepEqual(sent, [
    { bucket: "uploads", action: "PutObject", key: "a.png", size: 5, eTag: "etag-of-a.png" },
    { bucket: "uploads", action: "DeleteObject", key: "a.png" },
    { bucket: "uploads", action: "DeleteObject", key: "b.png" },
    { bucket: "uploads", action: "DeleteObject", key: "c.png" },
    { bucket: "uploads", action: "CompleteMultipartUpload", key: "big.bin", size: 10, eTag: "m-1" },
    { bucket: "uploads", action: "CompleteMultipartUpload", key: "big2.bin", size: 20, eTag: "m-2" },
  ]);
});

test("a write that throws reports nothing", async () => {
  const sent = [];
  const bucket = { async put() { throw new Error("disk full"); } };
  await assert.rejects(wrapBucket(bucket, "b", async (e) => sent.push(e)).put("k", "v"), /disk full/);
  assert.deepEqual(sent, []);
});

test("the Worker's env keeps its bindings, hides flareq's service, and is the same object each time", async () => {
  const posted = [];
  const service = { async fetch(url, init) { posted.push([url, JSON.parse(init.body)]); return new Response("{}"); } };
  const env = { UPLOADS: fakeBucket(), OTHER: "x", [EVENTS_BINDING]: service };
  const seen = withR2Events(env, { UPLOADS: "uploads" });
  assert.deepEqual(Object.keys(seen).sort(), ["OTHER", "UPLOADS"]);
  assert.equal(withR2Events(env, { UPLOADS: "uploads" }), seen);
  await seen.UPLOADS.put("k", "v");
  assert.equal(posted[0][0], "http://flareq/client/v4/flareq/r2/events");
  assert.deepEqual(posted[0][1], { bucket: "uploads", action: "PutObject", key: "k", size: 1, eTag: "etag-of-k" });
  const plain = { UPLOADS: fakeBucket() };
  assert.equal(withR2Events(plain, { UPLOADS: "uploads" }), plain, "no service: nothing to report to");
});
