import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import test from "node:test";

import { decryptingStream, encryptRange, encryptedSize, newKey, newSalt } from "../../static/files/uploader/ece.js";
import { MultipartPipeline } from "../../static/files/uploader/multipart.js";
import { SealedFile } from "../../static/files/uploader/sealed.js";

const MiB = 1024 * 1024;

function plainFile(size) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return new Blob([bytes]);
}

function uploadOf(size, partSize) {
  const limits = { parts_per_request: 100, parallel_parts: 2 };
  return { id: "m", method: "multipart", size, part_size: partSize, part_count: Math.ceil(size / partSize), limits };
}

const report = { enter() {}, progress() {}, notice() {} };
const sha = (bytes) => createHash("sha256").update(bytes).digest("base64");

/** A bucket that checks each part's signed checksum against its body, as S3 does. */
function bucket(client) {
  const parts = new Map();
  const send = async (_m, url, blob, { headers }) => {
    const body = Buffer.from(await blob.arrayBuffer());
    const number = Number(new URL(url).searchParams.get("partNumber"));
    assert.equal(headers["x-amz-checksum-sha256"], sha(body), `part ${number}'s signed checksum`);
    assert.equal(client.signed.get(number), sha(body), `part ${number}'s checksum as signed`);
    parts.set(number, body);
    return { getResponseHeader: () => `e${number}` };
  };
  return { parts, send };
}

function fakeClient(stored = []) {
  const signed = new Map();
  return {
    signed,
    signParts: async (_u, parts) => {
      for (const p of parts) signed.set(p.number, p.sha256);
      return {
        urls: Object.fromEntries(parts.map((p) => [p.number, `https://b.test/?partNumber=${p.number}&X-Amz-Expires=900`])),
        expires_at: "",
      };
    },
    listParts: async () => stored,
    complete: async () => "<tr>row</tr>",
  };
}

test("an encrypted file's parts, made on their own, are its ciphertext, checksummed as sent", async () => {
  const file = plainFile(5 * MiB + 12345);
  const ikm = newKey();
  const salt = newSalt();
  const sealed = new SealedFile(file, { ikm, salt, meta: "m" });
  assert.equal(sealed.size, encryptedSize(file.size));
  const partSize = MiB + 7; // cuts records at odd places
  const client = fakeClient();
  const { parts, send } = bucket(client);
  const pipeline = new MultipartPipeline({ file: sealed, upload: uploadOf(sealed.size, partSize), client, report, send });
  assert.equal(await pipeline.send(new AbortController().signal), "<tr>row</tr>");
  const numbers = [...parts.keys()].sort((a, b) => a - b);
  const joined = Buffer.concat(numbers.map((n) => parts.get(n)));
  assert.deepEqual(joined, Buffer.from(await encryptRange(file, { ikm, salt }, 0, sealed.size)));
  const plain = await new Response(new Blob([joined]).stream().pipeThrough(decryptingStream(ikm))).arrayBuffer();
  assert.deepEqual(Buffer.from(plain), Buffer.from(await file.arrayBuffer()));
  assert.equal(sealed.made.size, 0, "nothing made is kept once sent");
});

test("a resumed encrypted upload makes and sends only the parts the bucket lacks", async () => {
  const file = plainFile(3 * MiB);
  const ikm = newKey();
  const salt = newSalt();
  const partSize = MiB;
  const first = new SealedFile(file, { ikm, salt, meta: "m" });
  const client = fakeClient();
  const { parts, send } = bucket(client);
  await new MultipartPipeline({ file: first, upload: uploadOf(first.size, partSize), client, report, send }).send(
    new AbortController().signal,
  );
  // After a reload: parts 1 and 3 are in the bucket; the same key and salt make the same bytes.
  const stored = [1, 3].map((number) => ({
    number,
    etag: `e${number}`,
    size: parts.get(number).length,
    sha256: sha(parts.get(number)),
  }));
  const again = new SealedFile(file, { ikm, salt, meta: "m" });
  const made = [];
  const make = again.make.bind(again);
  again.make = (start, end) => (made.push(start), make(start, end));
  const resumedClient = fakeClient(stored);
  const resent = bucket(resumedClient);
  const upload = uploadOf(again.size, partSize);
  await new MultipartPipeline({ file: again, upload, client: resumedClient, resumed: true, report, send: resent.send }).send(
    new AbortController().signal,
  );
  assert.deepEqual([...resent.parts.keys()], [2, 4]);
  for (const number of resent.parts.keys()) assert.deepEqual(resent.parts.get(number), parts.get(number));
  // Stored parts are made once each to check them, missing ones once to hash and send.
  assert.equal(made.length, Math.ceil(again.size / partSize));
});
