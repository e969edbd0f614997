// A user's test of their Worker with flareq/testing, as installed from the npm tarballs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startFlareq } from "flareq/testing";

test("an order sent through fetch() is fulfilled by queue()", async () => {
  const fq = await startFlareq({ virtualClock: true });
  try {
    const response = await fq.fetch("/?id=42");
    assert.equal(await response.text(), "queued 42\n");
    assert.equal((await fq.messages("orders"))[0].body.id, "42");
    await fq.waitIdle("orders");
    assert.match(fq.logs(), /order 42 fulfilled/);
  } finally {
    await fq.stop();
  }
});
