import assert from "node:assert/strict";
import test from "node:test";

import { countedEndpoint, fetchCounted, zipResponse } from "../../static/files/pages/zip/archive.js";
import { attachment, entryNames, zipName } from "../../static/files/pages/zip/names.js";

const ORIGIN = "https://chute.example";

function bytes(length, seed) {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) % 256);
}

/** A Response as fetch gives it after Chute's 302 to the bucket. */
function fromBucket(data) {
  return new Response(data, { headers: { "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT" } });
}

function indexOf(haystack, needle, from = 0) {
  outer: for (let i = from; i <= haystack.length - needle.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

test("entry names keep folders, drop traversal and tell duplicates apart", () => {
  assert.deepEqual(entryNames(["a.txt", "A.txt", "a.txt", "photos/2024/b.jpg", "../../etc/passwd", "/abs/c", "..", "notes"]), [
    "a.txt",
    "A (2).txt",
    "a (3).txt",
    "photos/2024/b.jpg",
    "etc/passwd",
    "abs/c",
    "file",
    "notes",
  ]);
  assert.deepEqual(entryNames(["dir.v2/readme", "dir.v2/readme"]), ["dir.v2/readme", "dir.v2/readme (2)"]);
});

test("the zip is saved under the link's name, with an ASCII fallback", () => {
  assert.equal(attachment("Fotos für Oma.zip"), `attachment; filename="Fotos f_r Oma.zip"; filename*=UTF-8''Fotos%20f%C3%BCr%20Oma.zip`);
  assert.equal(attachment('a "b".zip'), `attachment; filename="a _b_.zip"; filename*=UTF-8''a%20%22b%22.zip`);
});

test("the zip is named after the files the page lists", () => {
  assert.equal(zipName(["a.txt", "b.txt", "c.txt"]), "a.txt and 2 more.zip");
  assert.equal(zipName(["a.txt"]), "a.txt.zip");
});

test("only this origin's counted endpoint may be fetched", () => {
  assert.equal(countedEndpoint("/s/abc/download", ORIGIN), `${ORIGIN}/s/abc/download`);
  assert.throws(() => countedEndpoint("https://evil.example/s/abc/download", ORIGIN), /Chute link/);
  assert.throws(() => countedEndpoint("/accounts/logout/", ORIGIN), /Chute link/);
});

test("a file is fetched by a cookie-less form post and must come through a redirect", async () => {
  const calls = [];
  const answer = (response) => async (url, init) => {
    calls.push({ url, init });
    return response;
  };
  const redirected = fromBucket("x");
  Object.defineProperty(redirected, "redirected", { value: true });
  const got = await fetchCounted(answer(redirected), "/s/t/download", { file: "f1", password: "pw" });
  assert.equal(got, redirected);
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.credentials, "omit");
  assert.equal(calls[0].init.body.toString(), "file=f1&password=pw");

  await assert.rejects(fetchCounted(answer(new Response("page", { status: 403 })), "/s/t/download", { file: "f", password: "" }), /password is not right/);
  await assert.rejects(fetchCounted(answer(new Response("page", { status: 410 })), "/s/t/download", { file: "f", password: "" }), /no longer works/);
  // Chute's own 200 page is never taken for a file's bytes.
  await assert.rejects(fetchCounted(answer(new Response("page")), "/s/t/download", { file: "f", password: "" }), /server answered 200/);
});

test("files are fetched one at a time as the zip reaches them, stored, sized exactly", async () => {
  const data = [bytes(70_000, 1), bytes(5, 2), bytes(130_001, 3)];
  const files = data.map((d, i) => ({ id: `id${i}`, path: `f${i}.bin`, size: d.length }));
  const opened = [];
  const reports = [];
  const response = await zipResponse({
    files,
    zipName: "three.zip",
    open: async (file) => {
      opened.push(file.id);
      return fromBucket(data[files.indexOf(file)]);
    },
    report: (message) => reports.push(message),
  });
  // The first file is asked for before the download starts (a refusal saves nothing) ...
  assert.deepEqual(opened, ["id0"]);
  assert.equal(response.headers.get("Content-Disposition"), `attachment; filename="three.zip"; filename*=UTF-8''three.zip`);
  assert.equal(response.headers.get("Content-Type"), "application/zip");

  // ... the others only when the reader of the zip gets that far.
  const reader = response.body.getReader();
  const chunks = [];
  const openedWhileReading = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    openedWhileReading.push(opened.length);
  }
  assert.deepEqual(opened, ["id0", "id1", "id2"]);
  assert.ok(openedWhileReading.includes(1), "read bytes of the first file before the second was opened");

  const zip = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    zip.set(chunk, at);
    at += chunk.length;
  }
  assert.equal(Number(response.headers.get("Content-Length")), zip.length);
  // Each entry: a local header (PK\3\4) with method 0 (stored), its name, then its bytes as they are.
  let from = 0;
  for (const [index, file] of files.entries()) {
    const header = indexOf(zip, [0x50, 0x4b, 0x03, 0x04], from);
    assert.ok(header >= 0, `local header of ${file.path}`);
    const view = new DataView(zip.buffer, header);
    assert.equal(view.getUint16(8, true), 0, "stored, not compressed");
    const nameLength = view.getUint16(26, true);
    const start = header + 30 + nameLength + view.getUint16(28, true);
    assert.equal(new TextDecoder().decode(zip.subarray(header + 30, header + 30 + nameLength)), file.path);
    assert.deepEqual(zip.subarray(start, start + file.size), data[index]);
    from = start + file.size;
  }
  assert.deepEqual(
    reports.filter((m) => m.type !== "bytes"),
    [
      { type: "file", index: 0, name: "f0.bin" },
      { type: "file", index: 1, name: "f1.bin" },
      { type: "file", index: 2, name: "f2.bin" },
      { type: "done", bytes: 200_006 },
    ],
  );
});

test("a refusal of the first file rejects before any byte; a later one errors the stream", async () => {
  const files = [
    { id: "a", path: "a", size: 1 },
    { id: "b", path: "b", size: 1 },
  ];
  await assert.rejects(
    zipResponse({ files, zipName: "z.zip", open: async () => Promise.reject(new Error("The password is not right.")) }),
    /password/,
  );

  const reports = [];
  const response = await zipResponse({
    files,
    zipName: "z.zip",
    open: async (file) => (file.id === "a" ? fromBucket("A") : Promise.reject(new Error("This link no longer works."))),
    report: (message) => reports.push(message),
  });
  await assert.rejects(response.arrayBuffer(), /no longer works/);
  assert.deepEqual(reports.at(-1), { type: "error", message: "This link no longer works." });
});
