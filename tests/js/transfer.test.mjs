import assert from "node:assert/strict";
import test from "node:test";

import { UploadError } from "../../static/files/uploader/protocol.js";
import { sha256Base64 } from "../../static/files/uploader/hash.js";
import { IllegalTransition, TRANSITIONS, Transfer } from "../../static/files/uploader/transfer.js";

const MiB = 1024 * 1024;
const limits = { parts_per_request: 100, parallel_parts: 3 };
const links = { self: "/u/self", confirm: "/u/confirm", parts: "/u/parts", complete: "/u/complete" };

function fileOf(size, name = "f.bin") {
  const blob = new Blob([new Uint8Array(size)]);
  return Object.assign(blob, { name, lastModified: 1 });
}

/** A client that answers like Chute; `create` can be replaced to refuse. */
function fakeClient(upload, overrides = {}) {
  const calls = [];
  const client = {
    calls,
    create: async () => (calls.push("create"), upload),
    signParts: async (_u, parts) => {
      calls.push(`sign ${parts.map((p) => p.number).join(",")}`);
      return { urls: Object.fromEntries(parts.map((p) => [p.number, `https://b.test/?partNumber=${p.number}&X-Amz-Expires=900`])), expires_at: "" };
    },
    listParts: async () => (calls.push("list"), []),
    complete: async (_u, parts) => (calls.push(`complete ${parts.map((p) => p.number).join(",")}`), "<tr>row</tr>"),
    confirm: async () => (calls.push("confirm"), "<tr>row</tr>"),
    remove: async () => calls.push("remove"),
    ...overrides,
  };
  return client;
}

function states(transfer) {
  const seen = [];
  transfer.addEventListener("change", ({ detail }) => {
    if (seen.at(-1) !== detail.state) seen.push(detail.state);
  });
  return seen;
}

const noSleep = async () => {};
const okXhr = (etag = "e") => ({ getResponseHeader: () => etag });

test("the transition table: terminal states lead nowhere; every target is a state", () => {
  assert.deepEqual(TRANSITIONS.done, []);
  assert.deepEqual(TRANSITIONS.cancelled, []);
  for (const targets of Object.values(TRANSITIONS)) for (const t of targets) assert.ok(t in TRANSITIONS, t);
  assert.ok(!TRANSITIONS.queued.includes("done"));
  assert.ok(!TRANSITIONS.paused.includes("uploading"), "resume goes through preparing (ListParts)");
  assert.deepEqual(TRANSITIONS.paused, ["queued", "cancelled"], "Resume waits for a place again");
  assert.deepEqual(TRANSITIONS.failed, ["queued", "cancelled"], "Retry waits for a place again");
  assert.ok(TRANSITIONS.queued.includes("cancelled"), "a waiting file can be cancelled");
});

test("an illegal transition throws and leaves the state as it was", () => {
  const transfer = new Transfer(fileOf(1), { client: fakeClient({}) });
  assert.throws(() => transfer.moveTo("done"), IllegalTransition);
  assert.equal(transfer.state, "queued");
  transfer.moveTo("preparing");
  assert.throws(() => transfer.moveTo("paused"), IllegalTransition);
  assert.equal(transfer.state, "preparing");
});

test("a small file goes in one PUT, is confirmed, and ends done with its row", async () => {
  const upload = { id: "u", method: "put", size: 10, put: { url: "https://b.test/k", headers: { "Content-Type": "x" } }, links, limits };
  const client = fakeClient(upload);
  const sent = [];
  const transfer = new Transfer(fileOf(10), {
    client,
    send: async (method, url, _body, { headers, onProgress }) => {
      sent.push(`${method} ${url} ${headers["Content-Type"]}`);
      onProgress(10);
      return okXhr();
    },
  });
  const seen = states(transfer);
  await transfer.start();
  assert.deepEqual(seen, ["preparing", "uploading", "confirming", "done"]);
  assert.deepEqual(sent, ["PUT https://b.test/k x"]);
  assert.deepEqual(client.calls, ["create", "confirm"]);
  assert.equal(transfer.snapshot().row, "<tr>row</tr>");
  assert.equal(transfer.snapshot().canCancel, false);
});

test("a file Chute refuses to create fails with its sentence and offers no Retry", async () => {
  const refused = new UploadError("Files may be at most 1 GB.", { status: 413, code: "too_large" });
  const transfer = new Transfer(fileOf(10), { client: fakeClient(null, { create: async () => { throw refused; } }) });
  await transfer.start();
  const snap = transfer.snapshot();
  assert.equal(snap.state, "failed");
  assert.equal(snap.message, "Files may be at most 1 GB.");
  assert.equal(snap.canRetry, false);
  assert.equal(snap.canCancel, true);
});

test("an outage while creating offers Retry", async () => {
  const outage = new UploadError("Storage is not answering right now.", { status: 503, retryable: true });
  const transfer = new Transfer(fileOf(10), { client: fakeClient(null, { create: async () => { throw outage; } }) });
  await transfer.start();
  assert.equal(transfer.snapshot().canRetry, true);
});

test("a failed confirm keeps the landed bytes: Retry only confirms again", async () => {
  const upload = { id: "u", method: "post", size: 10, post: { url: "https://b.test/", fields: { key: "k" } }, links, limits };
  let confirms = 0;
  const client = fakeClient(upload, {
    confirm: async () => {
      confirms += 1;
      if (confirms === 1) throw new UploadError("Storage is not answering right now.", { status: 503, retryable: true });
      return "<tr>row</tr>";
    },
  });
  let sends = 0;
  const transfer = new Transfer(fileOf(10), { client, send: async () => (sends += 1, okXhr()) });
  await transfer.start();
  assert.equal(transfer.state, "failed");
  assert.ok(transfer.snapshot().canRetry);
  const seen = states(transfer);
  transfer.wait();
  await transfer.start();
  assert.deepEqual(seen, ["queued", "preparing", "confirming", "done"]);
  assert.equal(sends, 1);
  assert.ok(!client.calls.includes("remove"));
});

function multipartUpload(size, partSize = 5 * MiB) {
  return { id: "m", method: "multipart", size, part_size: partSize, part_count: Math.ceil(size / partSize), links, limits };
}

test("multipart: every part once, in parallel, retried on 503, re-signed on 403, then complete", async () => {
  const size = 5 * 5 * MiB + 7;
  const client = fakeClient(multipartUpload(size));
  const puts = new Map();
  let running = 0;
  let most = 0;
  const send = async (_m, url, body, { headers }) => {
    const number = Number(new URL(url).searchParams.get("partNumber"));
    puts.set(number, (puts.get(number) ?? 0) + 1);
    assert.equal(body.size, number === 6 ? 7 : 5 * MiB);
    assert.match(headers["x-amz-checksum-sha256"], /^[A-Za-z0-9+/]{43}=$/);
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 2));
    running -= 1;
    if (puts.get(number) === 1 && number === 2) throw new UploadError("Storage answered 503.", { status: 503, bucket: true, retryable: true });
    if (puts.get(number) === 1 && number === 4) throw new UploadError("expired", { status: 403, bucket: true });
    return okXhr(`etag${number}`);
  };
  const transfer = new Transfer(fileOf(size), { client, send, sleep: noSleep, threshold: 5 * MiB });
  const seen = states(transfer);
  await transfer.start();
  assert.deepEqual(seen, ["preparing", "uploading", "confirming", "done"]);
  assert.deepEqual([...puts].sort((a, b) => a[0] - b[0]), [[1, 1], [2, 2], [3, 1], [4, 2], [5, 1], [6, 1]]);
  assert.equal(most, limits.parallel_parts, "as many parts at once as the server suggests, to begin with (pace.js)");
  assert.equal(client.calls.filter((c) => c === "sign 4").length, 1, "part 4 signed again alone after its 403");
  assert.equal(client.calls.at(-1), "complete 1,2,3,4,5,6");
});

test("multipart: more parts go in flight when the pace asks for more", async () => {
  const size = 12 * 5 * MiB;
  const client = fakeClient(multipartUpload(size));
  let running = 0;
  const most = [];
  const send = async (_m, url, _body, { onProgress }) => {
    running += 1;
    most.push(running);
    onProgress(1024);
    await new Promise((resolve) => setTimeout(resolve, 2));
    running -= 1;
    return okXhr(`etag${new URL(url).searchParams.get("partNumber")}`);
  };
  // A path that rewards more connections: the pace asks for 4 once it may measure.
  const pace = () => ({ target: 2, sample() { this.target = 4; } });
  const transfer = new Transfer(fileOf(size), { client, send, sleep: noSleep, threshold: 5 * MiB, pace });
  await transfer.start();
  assert.equal(transfer.state, "done");
  assert.deepEqual(most.slice(0, 2), [1, 2], "two parts to begin with");
  assert.equal(Math.max(...most), 4, "then four at once");
});

test("multipart: the row says the file is being read until its first bytes go", async () => {
  const size = 3 * 5 * MiB;
  const client = fakeClient(multipartUpload(size));
  let release;
  const hashed = new Promise((resolve) => (release = resolve));
  const hash = async () => {
    await hashed;
    return "A".repeat(43) + "=";
  };
  const notices = [];
  const send = async (_m, url, _body, { onProgress }) => {
    onProgress(1024);
    notices.push(transfer.snapshot().notice);
    return okXhr(`etag${new URL(url).searchParams.get("partNumber")}`);
  };
  const transfer = new Transfer(fileOf(size), { client, send, sleep: noSleep, threshold: 5 * MiB, hash });
  const started = transfer.start();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(transfer.snapshot().notice, "Reading the file…");
  release();
  await started;
  assert.equal(transfer.state, "done");
  assert.equal(notices[0], "", "the notice goes with the first progress");
});

test("multipart: the pace measures nothing while parts are still being hashed", async () => {
  const size = 6 * 5 * MiB;
  // Batches of two: the first batch does not wait for part 5's hash.
  const client = fakeClient({ ...multipartUpload(size), limits: { parts_per_request: 2, parallel_parts: 2 } });
  let release;
  const slowHash = new Promise((resolve) => (release = resolve));
  let hashes = 0;
  // Parts 1 to 4 hash at once; part 5 waits until two parts have been sent.
  const hash = async () => {
    hashes += 1;
    if (hashes === 5) await slowHash;
    return "A".repeat(43) + "=";
  };
  const samples = [];
  let sent = 0;
  const send = async (_m, url, _body, { onProgress }) => {
    onProgress(1024);
    sent += 1;
    if (sent === 2) release();
    await new Promise((resolve) => setTimeout(resolve, 1));
    return okXhr(`etag${new URL(url).searchParams.get("partNumber")}`);
  };
  const pace = () => ({ target: 2, sample: (bytes) => samples.push([sent, bytes]) });
  const transfer = new Transfer(fileOf(size), { client, send, sleep: noSleep, threshold: 5 * MiB, hash, pace });
  await transfer.start();
  assert.equal(transfer.state, "done");
  assert.ok(samples.length > 0, "it measures once every part is hashed");
  assert.ok(samples.every(([partsSent]) => partsSent >= 2), `no sample while hashing (${JSON.stringify(samples)})`);
});

test("multipart: a part that keeps failing stops after six tries and fails the transfer", async () => {
  const size = 2 * 5 * MiB;
  let tries = 0;
  const send = async (_m, url) => {
    if (url.includes("partNumber=2")) {
      tries += 1;
      throw new UploadError("Storage answered 500.", { status: 500, bucket: true, retryable: true });
    }
    return okXhr();
  };
  const transfer = new Transfer(fileOf(size), { client: fakeClient(multipartUpload(size)), send, sleep: noSleep, threshold: 5 * MiB });
  await transfer.start();
  assert.equal(transfer.state, "failed");
  assert.equal(tries, 6);
  assert.ok(transfer.snapshot().canRetry);
});

test("pause stops sending; resume asks the bucket what it holds and sends only the rest", async () => {
  const size = 4 * 5 * MiB;
  const client = fakeClient(multipartUpload(size), {
    listParts: async () => (
      client.calls.push("list"), [{ number: 1, etag: "e1", size: 5 * MiB, sha256: await sha256Base64(new Blob([new Uint8Array(5 * MiB)])) }]
    ),
  });
  const sent = [];
  let firstRun = true;
  const send = async (_m, url, _b, { signal }) => {
    const number = Number(new URL(url).searchParams.get("partNumber"));
    sent.push(number);
    if (firstRun && number > 1) {
      // Parts after the first hang until the page gives up on them (the pause aborts them).
      await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new DOMException("x", "AbortError"))));
    }
    return okXhr(`e${number}`);
  };
  const transfer = new Transfer(fileOf(size), { client, send, sleep: noSleep, threshold: 5 * MiB });
  const running = transfer.start();
  while (sent.length < 3) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(transfer.snapshot().canPause, true);
  transfer.pause();
  await running;
  assert.equal(transfer.state, "paused");
  assert.equal(transfer.snapshot().canResume, true);
  firstRun = false;
  sent.length = 0;
  transfer.wait();
  assert.equal(transfer.state, "queued");
  await transfer.start();
  assert.equal(transfer.state, "done");
  assert.ok(client.calls.includes("list"));
  assert.deepEqual(sent.sort(), [2, 3, 4]);
});

test("a file Chute answers with an unfinished upload skips only the stored parts whose bytes match", async () => {
  const size = 4 * 5 * MiB;
  const file = fileOf(size);
  const upload = { ...multipartUpload(size), resumed: true };
  const hashOf = async (number) => sha256Base64(file.slice((number - 1) * 5 * MiB, number * 5 * MiB));
  const client = fakeClient(upload, {
    listParts: async () => (client.calls.push("list"), [
      { number: 1, etag: "e1", size: 5 * MiB, sha256: await hashOf(1) }, // same bytes: skipped
      { number: 2, etag: "short", size: 100, sha256: await hashOf(2) }, // wrong size: sent again
      { number: 3, etag: "e3", size: 5 * MiB, sha256: "A".repeat(43) + "=" }, // other bytes: sent again
      { number: 4, etag: "e4", size: 5 * MiB, sha256: null }, // never signed: sent again
    ]),
  });
  const sent = [];
  const send = async (_m, url) => (sent.push(Number(new URL(url).searchParams.get("partNumber"))), okXhr(`new${url.at(-1)}`));
  const transfer = new Transfer(file, { client, send, threshold: 5 * MiB });
  await transfer.start();
  assert.equal(transfer.state, "done");
  assert.deepEqual(sent.sort(), [2, 3, 4]);
  assert.deepEqual(client.calls.slice(0, 2), ["create", "list"], "a resumed upload is asked what it holds");
  assert.match(client.calls.at(-1), /^complete 1,2,3,4$/);
});

test("a new multipart upload is not asked what it holds: one request fewer", async () => {
  const size = 2 * 5 * MiB;
  const client = fakeClient(multipartUpload(size), {
    listParts: async () => (client.calls.push("list"), []),
  });
  const send = async (_m, url) => okXhr(`e${url.at(-1)}`);
  const transfer = new Transfer(fileOf(size), { client, send, threshold: 5 * MiB });
  await transfer.start();
  assert.equal(transfer.state, "done");
  assert.ok(!client.calls.includes("list"));
});

test("create declares last_modified and path; a small file carries its SHA-256, a large one none", async () => {
  const bodies = [];
  const { Client } = await import("../../static/files/uploader/protocol.js");
  const client = new Client({
    createUrl: "/api/uploads",
    // Refused, so each transfer ends at create: only the bodies matter here.
    fetch: async (_url, { body }) => (bodies.push(JSON.parse(body)), Response.json({ error: "x", message: "No." }, { status: 413 })),
  });
  const small = Object.assign(fileOf(3, "a.txt"), { lastModified: 1700000000123 });
  const hashed = [];
  const transfer = new Transfer(small, {
    client,
    path: "photos/a.txt",
    threshold: 5 * MiB,
    hashFile: async (f) => (hashed.push(f), "c2hh"),
  });
  await transfer.start();
  assert.deepEqual(bodies[0], {
    name: "a.txt",
    size: 3,
    content_type: "application/octet-stream",
    last_modified: 1700000000123,
    sha256: "c2hh",
    path: "photos/a.txt",
  });
  assert.deepEqual(hashed, [small]);
  const large = new Transfer(fileOf(5 * MiB), { client, threshold: 5 * MiB, hashFile: async () => assert.fail("hashed") });
  await large.start();
  assert.equal(bodies[1].sha256, undefined);
  assert.equal(bodies[1].last_modified, 1);
});

test("cancel aborts, deletes the upload on the server and forgets it", async () => {
  const size = 2 * 5 * MiB;
  const client = fakeClient(multipartUpload(size));
  const send = (_m, _u, _b, { signal }) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(new DOMException("x", "AbortError"))));
  const transfer = new Transfer(fileOf(size), { client, send, threshold: 5 * MiB });
  const running = transfer.start();
  while (transfer.state !== "uploading") await new Promise((resolve) => setTimeout(resolve, 1));
  await transfer.cancel();
  await running;
  assert.equal(transfer.state, "cancelled");
  assert.ok(client.calls.includes("remove"));
  assert.throws(() => transfer.moveTo("preparing"), IllegalTransition);
});

test("create and sign in one call: the first parts' checksums go with the declaration and their URLs are used", async () => {
  // 40 MiB in 5 MiB parts (CHUTE_PART_SIZE 5 MiB): 8 parts, all in the first batch.
  const size = 40 * MiB;
  const urls = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, `https://b.test/?partNumber=${n}&X-Amz-Expires=900`]));
  const upload = { id: "u", method: "multipart", size, part_size: 5 * MiB, part_count: 8, links, limits, urls, expires_at: "" };
  const declared = [];
  const client = fakeClient(upload, {
    create: async (_file, { parts }) => (client.calls.push("create"), declared.push(parts), upload),
  });
  const put = [];
  const transfer = new Transfer(fileOf(size), {
    client,
    threshold: 5 * MiB,
    partSize: 5 * MiB,
    sleep: noSleep,
    send: async (method, url) => (put.push(new URL(url).searchParams.get("partNumber")), okXhr()),
  });
  await transfer.start();
  assert.equal(transfer.state, "done");
  const part = await sha256Base64(new Blob([new Uint8Array(5 * MiB)]));
  assert.deepEqual(declared[0], [1, 2, 3, 4, 5, 6, 7, 8].map((number) => ({ number, sha256: part })));
  assert.deepEqual(client.calls, ["create", "complete 1,2,3,4,5,6,7,8"]); // no signing call
  assert.equal(put.length, 8);
});

test("create and sign: a plan other than the expected one declares the file again, without parts", async () => {
  const size = 40 * MiB;
  const wrong = { id: "w", method: "multipart", size, part_size: 8 * MiB, part_count: 5, links, limits, urls: { 1: "https://b.test/?partNumber=1" }, expires_at: "" };
  const right = { id: "u", method: "multipart", size, part_size: 8 * MiB, part_count: 5, links, limits };
  const answers = [wrong, right];
  const client = fakeClient(right, {
    create: async (_file, { parts }) => (client.calls.push(parts ? "create with parts" : "create"), answers.shift()),
  });
  const transfer = new Transfer(fileOf(size), {
    client,
    threshold: 5 * MiB,
    partSize: 5 * MiB, // the page believes 5 MiB; Chute answers 8 MiB parts
    sleep: noSleep,
    send: async () => okXhr(),
  });
  await transfer.start();
  assert.equal(transfer.state, "done");
  assert.deepEqual(client.calls.slice(0, 3), ["create with parts", "remove", "create"]);
  assert.ok(client.calls.some((call) => call.startsWith("sign")));
});
