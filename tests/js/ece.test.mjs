import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";

import {
  decryptBytes,
  decryptMeta,
  decryptingStream,
  encryptMeta,
  encryptRange,
  encryptedSize,
  fromBase64Url,
  keyFromFragment,
  newKey,
  newSalt,
  plainSize,
  toBase64Url,
} from "../../static/files/uploader/ece.js";

const RS = 65536;

function randomBytes(n) {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
  return bytes;
}

async function decryptAll(bytes, ikm, options) {
  const stream = new Blob([bytes]).stream().pipeThrough(decryptingStream(ikm, options));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// The RFC's IKM is "yqdlZ-tYemfogSmv7Ws5PQ" (design23.md's note misspells it "…7Ts5yQ").
test("RFC 8188 section 3.1's example encrypts to the RFC's bytes and back", async () => {
  const ikm = fromBase64Url("yqdlZ-tYemfogSmv7Ws5PQ");
  const salt = fromBase64Url("I1BsxtFttlv3u_Oo94xnmw");
  const plain = new TextEncoder().encode("I am the walrus");
  const file = new Blob([plain]);
  const made = await encryptRange(file, { ikm, salt, rs: 4096 }, 0, encryptedSize(plain.length, 4096));
  assert.equal(toBase64Url(made), "I1BsxtFttlv3u_Oo94xnmwAAEAAA-NAVub2qFgBEuQKRapoZu-IxkIva3MEB1PD-ly8Thjg");
  assert.equal(new TextDecoder().decode(await decryptBytes(made, ikm)), "I am the walrus");
});

test("sizes: 21-byte header, 17 bytes per record of at most 65519 plaintext bytes", () => {
  assert.equal(encryptedSize(0), 21 + 17);
  assert.equal(encryptedSize(65519), 21 + 65536);
  assert.equal(encryptedSize(65520), 21 + 65520 + 34);
  for (const size of [0, 1, 65519, 65520, 3 * 65519, 10_000_000]) assert.equal(plainSize(encryptedSize(size)), size);
  assert.equal(plainSize(20), -1);
  assert.equal(plainSize(21 + 65536 + 5), -1, "a record too short to hold a tag");
});

test("byte ranges made on their own concatenate to the whole stream, whatever the cuts", async () => {
  const ikm = newKey();
  const salt = newSalt();
  const plain = randomBytes(3 * 65519 + 1000);
  const file = new Blob([plain]);
  const total = encryptedSize(plain.length);
  const whole = await encryptRange(file, { ikm, salt }, 0, total);
  assert.equal(whole.length, total);
  for (const cuts of [[10], [21], [65557, 65558], [100_000, 131_093, 150_000], [5, 196_000]]) {
    const edges = [0, ...cuts, total];
    const pieces = [];
    for (let i = 0; i + 1 < edges.length; i += 1) pieces.push(await encryptRange(file, { ikm, salt }, edges[i], edges[i + 1]));
    assert.deepEqual(Buffer.concat(pieces), Buffer.from(whole), `cuts at ${cuts}`);
  }
  assert.deepEqual(await decryptAll(whole, ikm, { size: plain.length }), plain);
  // The same key and salt make the same bytes (a resumed upload re-makes its parts identically).
  assert.deepEqual(await encryptRange(file, { ikm, salt }, 0, total), whole);
});

test("the streaming decryptor takes any chunking, and an empty file", async () => {
  const ikm = newKey();
  const plain = randomBytes(200_000);
  const whole = await encryptRange(new Blob([plain]), { ikm, salt: newSalt() }, 0, encryptedSize(plain.length));
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < whole.length; i += 7777) controller.enqueue(whole.slice(i, i + 7777));
      controller.close();
    },
  });
  const out = new Uint8Array(await new Response(stream.pipeThrough(decryptingStream(ikm))).arrayBuffer());
  assert.deepEqual(out, plain);
  const empty = await encryptRange(new Blob([]), { ikm, salt: newSalt() }, 0, encryptedSize(0));
  assert.equal(empty.length, 38);
  assert.equal((await decryptAll(empty, ikm, { size: 0 })).length, 0);
});

test("a flipped byte, a truncation, trailing data, a wrong size or a wrong key error the stream", async () => {
  const ikm = newKey();
  const plain = randomBytes(2 * 65519 + 10);
  const whole = await encryptRange(new Blob([plain]), { ikm, salt: newSalt() }, 0, encryptedSize(plain.length));
  const flipped = whole.slice();
  flipped[21 + 65536 + 100] ^= 1;
  await assert.rejects(decryptAll(flipped, ikm), /damaged/);
  await assert.rejects(decryptAll(whole.slice(0, 21 + 2 * 65536), ikm), /truncated/, "whole records cut off");
  await assert.rejects(decryptAll(whole.slice(0, whole.length - 3), ikm), /damaged|truncated/, "a cut record");
  await assert.rejects(decryptAll(whole.slice(0, 10), ikm), /truncated/);
  const longer = new Uint8Array(whole.length + 40);
  longer.set(whole);
  await assert.rejects(decryptAll(longer, ikm), /damaged/);
  await assert.rejects(decryptAll(whole, ikm, { size: plain.length - 1 }), /larger|size/);
  await assert.rejects(decryptAll(whole, newKey()), /key is wrong/);
  assert.deepEqual(await decryptAll(whole, ikm, { size: plain.length }), plain);
});

test("meta holds name, type and size, opens only with its key, and refuses long names", async () => {
  const ikm = newKey();
  const meta = await encryptMeta({ name: "Résumé 2026.pdf", type: "application/pdf", size: 1234 }, ikm);
  assert.match(meta, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(await decryptMeta(meta, ikm), { name: "Résumé 2026.pdf", type: "application/pdf", size: 1234 });
  await assert.rejects(decryptMeta(meta, newKey()));
  await assert.rejects(encryptMeta({ name: "x".repeat(4000), type: "", size: 1 }, ikm), /too long/);
});

test("a link's fragment carries the key as 22 base64url characters, or none", () => {
  const key = newKey();
  assert.deepEqual(keyFromFragment(`#${toBase64Url(key)}`), key);
  assert.equal(keyFromFragment(""), null);
  assert.equal(keyFromFragment("#short"), null);
  assert.equal(keyFromFragment("#" + "!".repeat(22)), null);
});

// The CLI's Python code (client/chute_client/ece.py, through tests/data/ece/make.py) wrote
// this vector: the browser must open what Python sealed and make the same bytes from the same
// key and salt, and the same meta from the same meta salt.
const VECTOR = new URL("../data/ece/vector.json", import.meta.url);
test("the Python-made vector decrypts and re-encrypts byte for byte, its meta too", async () => {
  const vector = JSON.parse(readFileSync(VECTOR, "utf8"));
  const cipher = new Uint8Array(readFileSync(new URL("../data/ece/vector.bin", import.meta.url)));
  const ikm = fromBase64Url(vector.key);
  const plain = Uint8Array.from({ length: vector.plaintext_size }, (_, i) => i % 251);
  assert.equal(cipher.length, vector.ciphertext_size);
  assert.deepEqual(await decryptAll(cipher, ikm, { size: vector.plaintext_size }), plain);
  const salt = fromBase64Url(vector.salt);
  const made = await encryptRange(new Blob([plain]), { ikm, salt }, 0, encryptedSize(plain.length));
  assert.deepEqual(made, cipher);
  // Any part of it, made on its own, is the same bytes.
  assert.deepEqual(await encryptRange(new Blob([plain]), { ikm, salt }, 65000, 131100), cipher.subarray(65000, 131100));
  assert.deepEqual(await decryptMeta(vector.meta.encoded, ikm), vector.meta.json);
  const meta = await encryptMeta(vector.meta.json, ikm, { salt: fromBase64Url(vector.meta.salt) });
  assert.equal(meta, vector.meta.encoded);
});
