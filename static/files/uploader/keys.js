// The owner's encryption keys, kept in this browser's IndexedDB and nowhere else. No DOM.
//
// "files": per file chosen (name, size, type, last-modified, folder path) its batch key, its
// salt and its meta, so choosing it again after a reload re-makes the same ciphertext and the
// upload resumes. "uploads": per upload id its key, so the owner's list shows the names this
// browser can decrypt. Keys never leave the browser except in a link's fragment.

const DB = "chute-keys";
const VERSION = 1;
let opened = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  if (!globalThis.indexedDB) return Promise.resolve(null);
  opened ??= new Promise((resolve) => {
    const req = indexedDB.open(DB, VERSION);
    req.onupgradeneeded = () => {
      req.result.createObjectStore("files", { keyPath: "fingerprint" });
      req.result.createObjectStore("uploads", { keyPath: "id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null); // a private window may refuse: keys then live in the page
  });
  return opened;
}

async function store(name, mode) {
  const db = await open();
  return db ? db.transaction(name, mode).objectStore(name) : null;
}

/** What identifies a chosen file across reloads (as Chute matches unfinished uploads). */
export function fingerprint(file, path = "") {
  return JSON.stringify([path || file.name, file.size, file.type, file.lastModified]);
}

/** {ikm, salt, meta} kept for `file`, or null. */
export async function keptFile(file, path = "") {
  const files = await store("files", "readonly");
  return files ? ((await request(files.get(fingerprint(file, path)))) ?? null) : null;
}

/** Keep {ikm, salt, meta, uploadId?} for `file`: the same ciphertext, and which upload it went to. */
export async function keepFile(file, path, { ikm, salt, meta, uploadId = null }) {
  const files = await store("files", "readwrite");
  if (files) await request(files.put({ fingerprint: fingerprint(file, path), ikm, salt, meta, uploadId, at: Date.now() }));
}

/** Forget a file's salt once its upload is done: choosing it again starts a new upload. */
export async function forgetFile(file, path = "") {
  const files = await store("files", "readwrite");
  if (files) await request(files.delete(fingerprint(file, path)));
}

export async function keepUpload(id, ikm) {
  const uploads = await store("uploads", "readwrite");
  if (uploads) await request(uploads.put({ id, ikm }));
}

/** The key this browser holds for upload `id`, or null. */
export async function uploadKey(id) {
  const uploads = await store("uploads", "readonly");
  return uploads ? ((await request(uploads.get(id)))?.ikm ?? null) : null;
}
