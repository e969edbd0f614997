// Waiting in the JavaScript tests, one way (as tests/integration/eventually.h in C++): polls
// `predicate` until it holds, or fails the test with `what` once `timeoutMs` has passed.
import assert from "node:assert/strict";

export async function eventually(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
