// Resume after a reload. The server lists unfinished multipart uploads (the page's resumable
// rows carry each one's JSON); this browser remembers which file each one was (name, size,
// last-modified), so choosing that file again continues the upload. No DOM.

const PREFIX = "chute:upload:";
const KEEP_MS = 14 * 24 * 3600 * 1000; // the bucket's lifecycle rule aborts long before

export class ResumeStore {
  constructor(storage = globalThis.localStorage, { now = Date.now } = {}) {
    this.storage = storage;
    this.now = now;
  }

  save(id, file) {
    const entry = { name: file.name, size: file.size, lastModified: file.lastModified, saved: this.now() };
    try {
      this.storage.setItem(PREFIX + id, JSON.stringify(entry));
    } catch {
      /* storage full or disabled: the upload works, it just cannot resume after a reload */
    }
  }

  load(id) {
    try {
      return JSON.parse(this.storage.getItem(PREFIX + id) || "null");
    } catch {
      return null;
    }
  }

  forget(id) {
    try {
      this.storage.removeItem(PREFIX + id);
    } catch {
      /* nothing to forget */
    }
  }

  /** Drop entries older than the bucket keeps unfinished uploads. */
  prune() {
    try {
      for (let index = this.storage.length - 1; index >= 0; index -= 1) {
        const key = this.storage.key(index);
        if (!key?.startsWith(PREFIX)) continue;
        const entry = JSON.parse(this.storage.getItem(key) || "null");
        if (!entry || this.now() - entry.saved > KEEP_MS) this.storage.removeItem(key);
      }
    } catch {
      /* best effort */
    }
  }
}

/** The unfinished upload (from `uploads`, the server's JSON) that `file` is the rest of, or null. */
export function findResumable(file, uploads, store) {
  for (const upload of uploads) {
    const saved = store.load(upload.id);
    if (
      saved &&
      upload.size === file.size &&
      saved.size === file.size &&
      saved.name === file.name &&
      saved.lastModified === file.lastModified
    ) {
      return upload;
    }
  }
  return null;
}
