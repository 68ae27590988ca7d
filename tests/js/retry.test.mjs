import assert from "node:assert/strict";
import test from "node:test";

import { MAX_PART_ATTEMPTS, backoffDelay, partRecovery, sleep } from "../../static/files/uploader/retry.js";

test("backoff doubles from 500 ms and never passes 30 s, with half of it random", () => {
  assert.equal(backoffDelay(1, { random: () => 0 }), 250);
  assert.equal(backoffDelay(1, { random: () => 1 }), 500);
  assert.equal(backoffDelay(3, { random: () => 0 }), 1000);
  assert.equal(backoffDelay(3, { random: () => 1 }), 2000);
  assert.equal(backoffDelay(20, { random: () => 1 }), 30_000);
  assert.equal(backoffDelay(20, { random: () => 0 }), 15_000);
  for (let attempt = 1; attempt <= MAX_PART_ATTEMPTS; attempt += 1) {
    const delay = backoffDelay(attempt);
    const ceiling = Math.min(30_000, 500 * 2 ** (attempt - 1));
    assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
  }
});

test("a part gets five retries after its first try", () => {
  assert.equal(MAX_PART_ATTEMPTS, 6);
});

test("part failures: 403 from the bucket re-signs, BadDigest re-reads, 5xx retries, the rest stop", () => {
  assert.equal(partRecovery({ bucket: true, status: 403 }), "resign");
  assert.equal(partRecovery({ bucket: false, status: 403, retryable: false }), "fatal");
  assert.equal(partRecovery({ bucket: true, status: 400, code: "BadDigest", retryable: true }), "reread");
  assert.equal(partRecovery({ bucket: true, status: 503, retryable: true }), "retry");
  assert.equal(partRecovery({ bucket: true, status: 400, code: "EntityTooLarge", retryable: false }), "fatal");
});

test("sleep rejects with an AbortError as soon as its signal aborts", async () => {
  const controller = new AbortController();
  const started = Date.now();
  const slept = sleep(10_000, controller.signal);
  controller.abort();
  await assert.rejects(slept, { name: "AbortError" });
  assert.ok(Date.now() - started < 1000);
});
