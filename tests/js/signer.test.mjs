import assert from "node:assert/strict";
import test from "node:test";

import { PartSigner, batchSizes, mapWithLimit } from "../../static/files/signer.js";

test("batches follow the server's limits and never exceed what it signs in one call", () => {
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 4 }), { first: 8, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 8 }), { first: 16, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 64 }), { first: 100, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 10, parallel_parts: 4 }), { first: 8, later: 10 });
  assert.deepEqual(batchSizes({ parts_per_request: 5, parallel_parts: 4 }), { first: 5, later: 5 });
});

test("mapWithLimit keeps order and never runs more than its limit at once", async () => {
  let running = 0;
  let most = 0;
  const results = await mapWithLimit([5, 1, 4, 2, 3], 2, async (n) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, n));
    running -= 1;
    return n * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
});

function signerWith({ queue, lifetime = 900, perRequest = 100, parallel = 4, clock }) {
  const calls = [];
  const signer = new PartSigner({
    sign: async (parts) => {
      calls.push(parts.map((part) => part.number));
      const urls = {};
      for (const { number, sha256 } of parts) urls[number] = `https://bucket.test/k?partNumber=${number}&X-Amz-Expires=${lifetime}&c=${sha256}`;
      return { urls, expires_at: new Date(Date.now() + lifetime * 1000).toISOString() };
    },
    checksum: async (number) => `sum${number}`,
    queue,
    limits: { parts_per_request: perRequest, parallel_parts: parallel },
    now: clock,
  });
  return { signer, calls };
}

test("the first URL signs a small batch around it; the next parts reuse it", async () => {
  const queue = Array.from({ length: 20 }, (_, i) => i + 2);
  const { signer, calls } = signerWith({ queue });
  const url = await signer.url(1);
  assert.match(url, /partNumber=1&.*c=sum1$/);
  assert.deepEqual(calls, [[1, 2, 3, 4, 5, 6, 7, 8]]);
  await signer.url(2);
  assert.equal(calls.length, 1);
});

test("prefetch signs the next large batch while half a batch is left, capped by the server", async () => {
  const queue = Array.from({ length: 60 }, (_, i) => i + 1);
  const { signer, calls } = signerWith({ queue, perRequest: 20, parallel: 4 });
  signer.prefetch();
  await signer.busy;
  assert.deepEqual(calls, [queue.slice(0, 20)]);
  signer.prefetch(); // 20 ready: not below half a batch (10) of signed parts
  assert.equal(signer.busy, null);
  queue.splice(0, 11); // workers took 11 parts: 9 signed ones left
  signer.prefetch();
  await signer.busy;
  assert.deepEqual(calls[1], queue.slice(9, 29));
});

test("a URL near its expiry, or one forgotten after a 403, is signed again", async () => {
  let now = 0;
  const { signer, calls } = signerWith({ queue: [], lifetime: 120, clock: () => now });
  await signer.url(1);
  now = 59_000; // 61 s left: still usable
  await signer.url(1);
  assert.equal(calls.length, 1);
  now = 61_000; // 59 s left: too close to expiry
  await signer.url(1);
  assert.equal(calls.length, 2);
  signer.forget(1);
  await signer.url(1);
  assert.equal(calls.length, 3);
});
