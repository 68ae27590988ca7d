// A file to upload encrypted (ece.js's aes128gcm), as the transfer and the multipart pipeline
// see it: the ciphertext's size, and its bytes made range by range. No DOM.
//
// Each range is encrypted and hashed in a worker (seal-worker.js) so the page stays
// responsive; without one (node's tests, a worker that cannot load) here, with the same code.
// The bytes made for a part's checksum are kept until the part is sent (`take`), at most
// KEPT parts ahead of the senders, so a file is encrypted once, not once to hash and once
// to send, and memory holds a few parts, never the file.

import { encryptRange, encryptedSize } from "./ece.js";
import { sha256Base64 } from "./hash.js";

const KEPT = 4; // parts made ahead of their sending (64 MiB each by default)
const WORKERS = 2; // as many as parts hashed at once (signer.js)

/**
 * The ciphertext bytes [start, end) of `file`, as a Blob, and their base64 SHA-256, on this
 * thread. A Blob: the browser streams it to a request as it does a file's slice (an
 * ArrayBuffer body is copied whole into the request, and into any debugger's view of it).
 */
export async function sealRange(file, { ikm, salt }, start, end) {
  const bytes = await encryptRange(file, { ikm, salt }, start, end);
  return { body: new Blob([bytes]), sha256: await sha256Base64(bytes) };
}

/** A few module workers, one range each at a time; falls back to this thread. */
class Pool {
  constructor(url, size) {
    this.url = url;
    this.size = size;
    this.idle = [];
    this.count = 0;
    this.waiting = [];
    this.broken = !url || !globalThis.Worker;
  }

  async run(job) {
    if (this.broken) return sealRange(job.file, job, job.start, job.end);
    const worker = await this.acquire();
    try {
      return await new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
        worker.onerror = (event) => {
          event.preventDefault?.();
          reject(Object.assign(new Error("worker failed"), { workerFailed: true }));
        };
        worker.postMessage(job);
      });
    } catch (error) {
      if (!error.workerFailed) throw error;
      this.broken = true; // CSP or an old browser: make the bytes here from now on
      worker.terminate();
      this.count -= 1;
      return sealRange(job.file, job, job.start, job.end);
    } finally {
      if (!this.broken) this.release(worker);
    }
  }

  acquire() {
    if (this.idle.length) return Promise.resolve(this.idle.pop());
    if (this.count < this.size) {
      this.count += 1;
      return Promise.resolve(new Worker(this.url, { type: "module" }));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(worker) {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  close() {
    for (const worker of this.idle) worker.terminate();
    this.idle = [];
    this.count = 0;
  }
}

export class SealedFile {
  /**
   * @param file the plaintext File
   * @param ikm the batch's key (16 bytes); salt: this file's (16 bytes)
   * @param meta the encrypted {name, type, size} (base64url), declared to Chute
   * @param workerUrl seal-worker.js, or "" to encrypt on this thread
   */
  constructor(file, { ikm, salt, meta, workerUrl = "", workers = WORKERS }) {
    this.file = file;
    this.ikm = ikm;
    this.salt = salt;
    this.meta = meta;
    this.size = encryptedSize(file.size);
    this.name = file.name;
    this.type = "application/octet-stream";
    this.lastModified = file.lastModified;
    this.pool = new Pool(workerUrl, workers);
    this.made = new Map(); // start -> promise of {bytes, sha256}
    this.roomWaiters = [];
  }

  make(start, end) {
    const { file, ikm, salt } = this;
    return this.pool.run({ file, ikm, salt, start, end });
  }

  /** The range's SHA-256 (base64); its bytes are kept for `take`. */
  async part(start, end) {
    if (!this.made.has(start)) {
      const made = this.make(start, end);
      made.catch(() => this.forget(start));
      this.made.set(start, made);
    }
    return (await this.made.get(start)).sha256;
  }

  /** The range's bytes to send (a Blob): the ones kept for it, or made again (identical). */
  async take(start, end) {
    const made = this.made.get(start);
    this.forget(start);
    return (await (made ?? this.make(start, end))).body;
  }

  forget(start) {
    if (this.made.delete(start)) while (this.made.size < KEPT && this.roomWaiters.length) this.roomWaiters.shift()();
  }

  /** Resolves once fewer than KEPT parts are waiting to be sent (or `signal` stops). */
  room(signal) {
    if (this.made.size < KEPT || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
      signal?.addEventListener("abort", resolve, { once: true });
    });
  }

  /** Drop what was made ahead (a pause, a failure): the same bytes can be made again. */
  clear() {
    this.made.clear();
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  /** The whole ciphertext (files below the multipart threshold): for one request. */
  async whole() {
    return (await this.make(0, this.size)).body;
  }

  close() {
    this.clear();
    this.pool.close();
  }
}
