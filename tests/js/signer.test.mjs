import assert from "node:assert/strict";
import test from "node:test";

import { PartSigner, batchSizes, mapWithLimit } from "../../static/files/uploader/signer.js";

const MiB = 1024 * 1024;

test("the first batch fills the parts in flight and about 256 MiB; later ones what the server signs", () => {
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 2 }, 64 * MiB), { first: 4, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 4 }, 16 * MiB), { first: 16, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 4 }, 5 * MiB), { first: 52, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 8 }, 64 * MiB), { first: 8, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 100, parallel_parts: 64 }, 64 * MiB), { first: 64, later: 100 });
  assert.deepEqual(batchSizes({ parts_per_request: 10, parallel_parts: 4 }, 5 * MiB), { first: 10, later: 10 });
  assert.deepEqual(batchSizes({ parts_per_request: 5, parallel_parts: 4 }, 16 * MiB), { first: 5, later: 5 });
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

function signerWith({ queue, lifetime = 900, perRequest = 100, parallel = 4, partSize = 32 * MiB, hashed, clock }) {
  const calls = [];
  const signer = new PartSigner({
    sign: async (parts) => {
      calls.push(parts.map((part) => part.number));
      const urls = {};
      for (const { number, sha256 } of parts) urls[number] = `https://bucket.test/k?partNumber=${number}&X-Amz-Expires=${lifetime}&c=${sha256}`;
      return { urls, expires_at: new Date(Date.now() + lifetime * 1000).toISOString() };
    },
    checksum: async (number) => `sum${number}`,
    hashed: (number) => hashed?.has(number) ?? false,
    queue,
    limits: { parts_per_request: perRequest, parallel_parts: parallel },
    partSize,
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

test("after the first batch, a part with no URL is signed with every part hashed by then", async () => {
  const queue = Array.from({ length: 15 }, (_, i) => i + 2);
  const hashed = new Set([1, 2, 3, 4, 5, 6, 7]);
  const { signer, calls } = signerWith({ queue, partSize: 64 * MiB, hashed });
  assert.ok(queue.length - 6 > 2, "more than two unhashed parts are left: no waiting for them");
  await signer.url(1);
  assert.deepEqual(calls, [[1, 2, 3, 4]], "the first batch: four parts in flight");
  queue.splice(0, 3); // workers took 2, 3 and 4
  queue.shift(); // and the next worker wants 5
  await signer.url(5);
  assert.deepEqual(calls[1], [5, 6, 7], "5 with the hashed 6 and 7, not the unhashed rest");
});

test("a part that needs its URL waits for the last two hashes rather than cost one more call", async () => {
  const queue = Array.from({ length: 9 }, (_, i) => i + 2);
  const hashed = new Set([1, 2, 3, 4, 5, 6, 7, 8]);
  const { signer, calls } = signerWith({ queue, partSize: 64 * MiB, hashed });
  await signer.url(1);
  queue.splice(0, 4); // workers took 2 to 5; 9 and 10 are still being hashed
  await signer.url(queue.shift());
  assert.deepEqual(calls[1], [6, 7, 8, 9, 10], "every part left, in one call");
});

test("prefetch signs the rest of the file in one call once every part is hashed", async () => {
  const queue = Array.from({ length: 16 }, (_, i) => i + 1);
  const hashed = new Set();
  const { signer, calls } = signerWith({ queue, partSize: 64 * MiB, hashed });
  signer.prefetch();
  assert.equal(signer.busy, null, "nothing before the first batch");
  await signer.url(queue.shift());
  queue.splice(0, 3);
  for (let number = 1; number <= 15; number += 1) {
    hashed.add(number);
    signer.prefetch();
    assert.equal(signer.busy, null, `no small batch while part ${number + 1} is still being hashed`);
  }
  hashed.add(16);
  signer.prefetch();
  await signer.busy;
  assert.deepEqual(calls, [[1, 2, 3, 4], queue.slice()]);
});

test("prefetch signs a full batch ahead when the signed parts run out on a long file", async () => {
  const queue = Array.from({ length: 300 }, (_, i) => i + 1);
  const hashed = new Set(Array.from({ length: 150 }, (_, i) => i + 1));
  const { signer, calls } = signerWith({ queue, perRequest: 100, partSize: 32 * MiB, hashed });
  await signer.url(queue.shift());
  assert.equal(calls[0].length, 8);
  signer.prefetch(); // seven signed parts left: no hurry
  assert.equal(signer.busy, null);
  queue.splice(0, 6); // one signed part left, 142 hashed and unsigned
  signer.prefetch();
  await signer.busy;
  assert.deepEqual(calls[1], Array.from({ length: 100 }, (_, i) => i + 9));
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
