import assert from "node:assert/strict";
import test from "node:test";

import { encryptRange, encryptedSize, newKey, newSalt } from "../../static/files/uploader/ece.js";
import { decryptedResponse, savedName } from "../../static/files/pages/zip/decrypt.js";

function randomBytes(n) {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
  return bytes;
}

async function sealed(plain, ikm) {
  return encryptRange(new Blob([plain]), { ikm, salt: newSalt() }, 0, encryptedSize(plain.length));
}

const opener = (bytes) => async () => new Response(new Blob([bytes]).stream());

test("the download is the plaintext, under the decrypted name, with its size", async () => {
  const ikm = newKey();
  const plain = randomBytes(300_000);
  const heard = [];
  const response = await decryptedResponse({
    open: opener(await sealed(plain, ikm)),
    ikm,
    name: "holiday/../ü notes.txt",
    size: plain.length,
    report: (m) => heard.push(m.type),
  });
  assert.equal(response.headers.get("Content-Length"), String(plain.length));
  assert.match(response.headers.get("Content-Disposition"), /^attachment; filename="_ notes.txt"; filename\*=UTF-8''%C3%BC%20notes.txt$/);
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), plain);
  assert.equal(heard.at(-1), "done");
});

test("a damaged first record or a wrong key saves nothing: the answer is refused", async () => {
  const ikm = newKey();
  const bytes = await sealed(randomBytes(100_000), ikm);
  const damaged = bytes.slice();
  damaged[30] ^= 1;
  await assert.rejects(decryptedResponse({ open: opener(damaged), ikm, name: "a", size: 100_000 }), /key is wrong or the file is damaged/);
  await assert.rejects(decryptedResponse({ open: opener(bytes), ikm: newKey(), name: "a", size: 100_000 }), /key is wrong/);
});

test("a later damaged record or a truncated object errors the saved stream", async () => {
  const ikm = newKey();
  const plain = randomBytes(400_000);
  const bytes = await sealed(plain, ikm);
  const damaged = bytes.slice();
  damaged[21 + 3 * 65536 + 5] ^= 0x80;
  const heard = [];
  const response = await decryptedResponse({
    open: opener(damaged),
    ikm,
    name: "a",
    size: plain.length,
    report: (m) => heard.push(m),
  });
  await assert.rejects(response.arrayBuffer(), /damaged/);
  assert.equal(heard.at(-1).type, "error");
  const cut = await decryptedResponse({ open: opener(bytes.slice(0, 21 + 4 * 65536)), ikm, name: "a", size: plain.length });
  await assert.rejects(cut.arrayBuffer(), /truncated/);
});

test("saved names keep no folders and no control characters", () => {
  assert.equal(savedName("../../etc/passwd"), "passwd");
  assert.equal(savedName("a\u0000b\nc.txt"), "abc.txt");
  assert.equal(savedName(".."), "file");
});
