import assert from "node:assert/strict";
import test from "node:test";

import { ResumeStore, findResumable } from "../../static/files/resume.js";

class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  get length() {
    return this.items.size;
  }
  key(index) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

const file = { name: "big.bin", size: 50_000_000, lastModified: 1_700_000_000_000 };
const upload = (id, size = file.size) => ({ id, size, method: "multipart", part_size: 5_242_880, part_count: 10 });

test("a file matches the unfinished upload this browser started with it", () => {
  const store = new ResumeStore(new MemoryStorage());
  store.save("u2", file);
  assert.equal(findResumable(file, [upload("u1"), upload("u2")], store)?.id, "u2");
});

test("another name, size or last-modified time, or an upload of another size, does not match", () => {
  const store = new ResumeStore(new MemoryStorage());
  store.save("u1", file);
  const uploads = [upload("u1")];
  assert.equal(findResumable({ ...file, name: "other.bin" }, uploads, store), null);
  assert.equal(findResumable({ ...file, lastModified: 1 }, uploads, store), null);
  assert.equal(findResumable({ ...file, size: 1 }, [upload("u1", 1)], store), null);
  assert.equal(findResumable(file, [upload("u1", file.size + 1)], store), null);
  assert.equal(findResumable(file, [upload("unknown")], store), null);
});

test("forget removes the entry and prune drops only entries older than two weeks", () => {
  const storage = new MemoryStorage();
  let now = 0;
  const store = new ResumeStore(storage, { now: () => now });
  store.save("old", file);
  now = 13 * 24 * 3600 * 1000;
  store.save("new", file);
  store.save("gone", file);
  store.forget("gone");
  storage.setItem("unrelated", "kept");
  now = 15 * 24 * 3600 * 1000;
  store.prune();
  assert.deepEqual([...storage.items.keys()].sort(), ["chute:upload:new", "unrelated"]);
});

test("a full or disabled storage does not break the upload", () => {
  const broken = { setItem() { throw new Error("QuotaExceeded"); }, getItem() { throw new Error("denied"); } };
  const store = new ResumeStore(broken);
  store.save("u1", file);
  assert.equal(store.load("u1"), null);
});
