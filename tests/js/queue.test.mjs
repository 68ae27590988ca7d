import assert from "node:assert/strict";
import test from "node:test";

import { describe, describeBatch } from "../../static/files/uploader/format.js";
import { UploadError } from "../../static/files/uploader/protocol.js";
import { ACTIVE, UploadQueue } from "../../static/files/uploader/queue.js";
import { Transfer } from "../../static/files/uploader/transfer.js";

const links = { self: "/s", confirm: "/c", parts: "/p", complete: "/x" };
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Small transfers whose bucket request waits until the test lets it finish (or fail). */
function harness(count, { limit = 3 } = {}) {
  const gates = new Map(); // name -> { resolve, reject }
  const client = {
    create: async (file) => ({ id: file.name, method: "put", size: file.size, put: { url: `https://b.test/${file.name}`, headers: {} }, links }),
    confirm: async () => "<tr></tr>",
    remove: async () => {},
  };
  const send = (_m, url, _body, { signal }) =>
    new Promise((resolve, reject) => {
      gates.set(url.split("/").at(-1), { resolve: () => resolve({}), reject });
      signal?.addEventListener("abort", () => reject(new DOMException("x", "AbortError")));
    });
  const queue = new UploadQueue({ limit });
  let most = 0;
  queue.addEventListener("change", () => (most = Math.max(most, queue.running)));
  const transfers = Array.from({ length: count }, (_, i) => {
    const file = Object.assign(new Blob([new Uint8Array(10)]), { name: `f${i}`, lastModified: 1 });
    return new Transfer(file, { client, send, hashFile: async () => null });
  });
  for (const transfer of transfers) queue.add(transfer);
  const settle = async () => {
    for (let i = 0; i < 5; i += 1) await tick();
  };
  return { queue, transfers, gates, settle, most: () => most };
}

const statesOf = (transfers) => transfers.map((t) => t.state);

test("at most `limit` files run; the rest wait in order and start as places free up", async () => {
  const { queue, transfers, gates, settle, most } = harness(5);
  await settle();
  assert.deepEqual(statesOf(transfers), ["uploading", "uploading", "uploading", "queued", "queued"]);
  assert.equal(describe(transfers[3].snapshot()), "Waiting");
  gates.get("f1").resolve(); // the second finishes first: the fourth (not the fifth) starts
  await settle();
  assert.deepEqual(statesOf(transfers), ["uploading", "done", "uploading", "uploading", "queued"]);
  for (const name of ["f0", "f2", "f3"]) gates.get(name).resolve();
  await settle();
  gates.get("f4").resolve();
  await settle();
  assert.deepEqual(statesOf(transfers), Array(5).fill("done"));
  assert.equal(most(), 3);
  assert.equal(queue.totals().idle, true);
});

test("a waiting file can be cancelled and is never started", async () => {
  const { transfers, gates, settle } = harness(4, { limit: 1 });
  await settle();
  await transfers[2].cancel();
  assert.equal(transfers[2].state, "cancelled");
  gates.get("f0").resolve();
  await settle();
  gates.get("f1").resolve();
  await settle();
  assert.ok(!gates.has("f2"), "the cancelled file never reached the bucket");
  assert.equal(transfers[3].state, "uploading");
});

test("a failed file frees its place; Retry puts it back at the end of the line", async () => {
  const { transfers, gates, settle } = harness(3, { limit: 1 });
  await settle();
  gates.get("f0").reject(new UploadError("Storage answered 500.", { status: 500, bucket: true, retryable: true }));
  await settle();
  assert.deepEqual(statesOf(transfers), ["failed", "uploading", "queued"]);
  transfers[0].wait();
  assert.deepEqual(statesOf(transfers), ["queued", "uploading", "queued"]);
  gates.get("f1").resolve();
  await settle();
  assert.deepEqual(statesOf(transfers), ["queued", "done", "uploading"], "f2 waited longer than the retried f0");
  gates.get("f2").resolve();
  await settle();
  gates.get("f0").resolve();
  await settle();
  assert.deepEqual(statesOf(transfers), ["done", "done", "done"]);
});

test("the batch totals count files, bytes and speed; a new batch starts once the last is idle", async () => {
  const { queue, transfers, gates, settle } = harness(2);
  await settle();
  assert.deepEqual(
    { ...queue.totals(), bytesPerSecond: 0 },
    { files: 2, done: 0, waiting: 0, failed: 0, size: 20, sent: 0, bytesPerSecond: 0, idle: false },
  );
  gates.get("f0").resolve();
  gates.get("f1").resolve();
  await settle();
  assert.equal(describeBatch(queue.totals()), "2 of 2 files uploaded · 20 bytes");
  const late = new Transfer(Object.assign(new Blob([new Uint8Array(5)]), { name: "late", lastModified: 1 }), {
    client: transfers[0].client,
    send: () => new Promise(() => {}),
    hashFile: async () => null,
  });
  queue.add(late);
  assert.equal(queue.totals().files, 1, "the finished batch is forgotten");
});

test("the batch line reads as a sentence", () => {
  const totals = { files: 5, done: 2, waiting: 2, failed: 1, size: 9e6, sent: 3e6, bytesPerSecond: 1e6, idle: false };
  assert.equal(describeBatch(totals), "2 of 5 files uploaded · 1 failed · 3.0 MB of 9.0 MB · 1.0 MB/s · 6 s left");
  assert.deepEqual(ACTIVE, ["preparing", "uploading", "confirming"]);
});
