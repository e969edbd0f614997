// The sign-up Worker under test with flareq/testing: sign-ups go in through fetch(), queue()
// sends the welcome emails, and the address that bounces ends in the dead letter queue. The
// clock is virtual: no test waits out a batch window or a delay in real time.
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { startFlareq } from "flareq/testing";

let fq;
beforeAll(async () => {
  fq = await startFlareq({ config: "wrangler.jsonc", virtualClock: true });
});
afterAll(() => fq?.stop());
// A test that fails prints what dev and the Worker said meanwhile: the first thing to read.
beforeEach(({ onTestFailed }) => onTestFailed(() => console.log(fq.logs())));

async function signUp(name, email) {
  const response = await fq.fetch("/signup", { method: "POST", body: JSON.stringify({ name, email }) });
  expect(response.status).toBe(200);
}

test("a bounced address is retried, then lands in the dead letter queue", async () => {
  await signUp("ada", "ada@example.com");
  await signUp("mallory", "mallory@bounce.invalid");
  // Both wait in the queue's open batch window: the virtual clock has not moved.
  expect(await fq.messages("signup-events")).toHaveLength(2);

  // Past the 1 s batch window: both are delivered, and the bounced one comes back for another
  // attempt, in a new window of its own. Past that window each time: 1 + max_retries (2) attempts.
  await fq.time.advance("1s");
  for (let attempt = 1; attempt <= 2; attempt++) {
    const retried = async () => (await fq.messages("signup-events", { state: "ready" }))[0]?.attempts;
    await expect.poll(retried, { timeout: 30000 }).toBe(attempt);
    await fq.time.advance("1s");
  }
  await fq.waitIdle("signup-events");
  for (let attempt = 1; attempt <= 3; attempt++)
    expect(fq.logs()).toContain(`could not email mallory@bounce.invalid (attempt ${attempt})`);

  const dead = await fq.dlq.list("signup-events-dlq");
  expect(dead.map((m) => m.body.email)).toEqual(["mallory@bounce.invalid"]);
  expect(dead[0].originQueue).toBe("signup-events");
  expect(fq.logs()).toContain("welcome email sent to ada <ada@example.com>");
});

test("a sign-up delayed by an hour waits for the clock", async () => {
  await fq.send("signup-events", { type: "welcome-email", name: "tim", email: "tim@example.com" }, { delaySeconds: 3600 });
  await fq.time.advance("59m");
  expect(await fq.messages("signup-events", { state: "delayed" })).toHaveLength(1);
  await fq.time.advance("1m");
  await fq.waitIdle("signup-events");
  expect(fq.logs()).toContain("welcome email sent to tim <tim@example.com>");
});
