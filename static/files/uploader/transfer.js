// One file on its way to the bucket, as a state machine that knows no DOM. It has ONE `state`
// and moves only along TRANSITIONS; every change is announced as a "change" event whose
// `detail` is a snapshot (view.js renders those; uploader.js wires both to the page).
//
// A transfer starts "queued" (waiting for its place: queue.js starts it). Small files are
// hashed whole, declared with their SHA-256 (the bucket then refuses other bytes), and go in one
// presigned POST or PUT, then confirm. Large files go as an S3 multipart upload: several parts
// in flight, each with its SHA-256 signed into its URL (the bucket refuses a damaged part),
// each retried with backoff, re-signed when its URL expires, and resumable after a pause, a
// failure, a reload or from another browser: Chute answers the unfinished upload of the same
// file, and a stored part is skipped only when this file's bytes hash to what was signed for it.

import { Meter } from "./format.js";
import { sha256Base64, sha256OfFile } from "./hash.js";
import { paceFor } from "./pace.js";
import { UploadError, send as sendToBucket } from "./protocol.js";
import { matchingParts } from "./resume.js";
import { MAX_PART_ATTEMPTS, aborted, backoffDelay, partRecovery, sleep as sleepFor } from "./retry.js";
import { PartSigner } from "./signer.js";

export const TRANSITIONS = Object.freeze({
  queued: ["preparing", "cancelled"], // waiting for a place among the files uploading at once
  preparing: ["uploading", "confirming", "failed", "cancelled"], // confirming: bytes already landed
  uploading: ["confirming", "paused", "failed", "cancelled"],
  paused: ["queued", "cancelled"], // Resume waits for a place again
  confirming: ["done", "failed", "cancelled", "uploading"], // uploading: the bucket lacked parts
  failed: ["queued", "cancelled"], // Retry waits for a place again
  done: [],
  cancelled: [],
});

export class IllegalTransition extends Error {}

export class Transfer extends EventTarget {
  /**
   * @param file a File (or anything with name, size, type, lastModified and slice())
   * @param client a protocol.js Client
   * @param path the file's path within a chosen folder ("photos/a.jpg"), or ""
   * @param threshold the server's CHUTE_MULTIPART_THRESHOLD: smaller files are hashed whole
   */
  constructor(
    file,
    {
      client,
      path = "",
      threshold = Infinity,
      send = sendToBucket,
      hash = sha256Base64,
      hashFile = sha256OfFile,
      sleep = sleepFor,
      now,
      pace = paceFor,
    } = {},
  ) {
    super();
    this.file = file;
    this.client = client;
    this.path = path;
    this.threshold = threshold;
    this.upload = null;
    this.sendToBucket = send;
    this.hash = hash;
    this.hashFile = hashFile;
    this.sleep = sleep;
    this.meterClock = now;
    this.paceFor = pace;
    this.state = "queued";
    this.runs = 0; // bumped by every start, pause and cancel: answers to older runs are ignored
    this.controller = null;
    this.meter = new Meter(now ? { now } : {});
    this.sent = 0;
    this.notice = ""; // a passing remark while uploading (a part being retried)
    this.error = null;
    this.canRetry = false;
    this.row = null; // the file's row HTML once done
    this.landed = false; // a single upload's bytes are in the bucket; only confirm is left
    // Multipart state survives pause and retry; the bucket's ListParts stays the authority.
    this.etags = new Map(); // part number -> ETag the bucket answered
    this.checksums = new Map(); // part number -> promise of its base64 SHA-256
    this.digests = new Map(); // part number -> its base64 SHA-256, once known
    this.mayHaveParts = false;
  }

  get multipart() {
    return this.upload?.method === "multipart";
  }

  snapshot() {
    return {
      state: this.state,
      name: this.file.name,
      path: this.path,
      uploadId: this.upload?.id ?? null,
      size: this.file.size,
      sent: this.sent,
      bytesPerSecond: this.state === "uploading" ? this.meter.bytesPerSecond() : 0,
      notice: this.notice,
      message: this.error?.message ?? "",
      multipart: this.multipart,
      canPause: this.state === "uploading" && this.multipart,
      canResume: this.state === "paused",
      canRetry: this.state === "failed" && this.canRetry,
      canCancel: !["done", "cancelled"].includes(this.state),
      row: this.row,
    };
  }

  emit() {
    this.dispatchEvent(new CustomEvent("change", { detail: this.snapshot() }));
  }

  moveTo(next) {
    if (!TRANSITIONS[this.state].includes(next)) {
      throw new IllegalTransition(`A transfer cannot go from ${this.state} to ${next}.`);
    }
    this.state = next;
    this.notice = "";
    this.emit();
  }

  progress(sentBytes) {
    this.sent = Math.min(sentBytes, this.file.size);
    this.meter.add(this.sent);
    this.notice = "";
    this.emit();
  }

  /** Wait for a place again: Resume after a pause, Retry after a failure (queue.js starts it). */
  wait() {
    if (TRANSITIONS[this.state].includes("queued")) this.moveTo("queued");
  }

  /** Start a queued transfer: first, resumed after a pause, or retried after a failure. */
  async start() {
    const run = ++this.runs;
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.meter = new Meter(this.meterClock ? { now: this.meterClock } : {});
    this.error = null;
    this.moveTo("preparing");
    let creating = false;
    try {
      if (!this.upload) {
        let sha256 = null;
        if (this.file.size < this.threshold) {
          // One request: declare the file's SHA-256 and the bucket checks every byte of it.
          this.notice = "Reading the file…";
          this.emit();
          sha256 = await this.hashFile(this.file);
          if (signal.aborted) return;
        }
        creating = true;
        this.upload = await this.client.create(this.file, { signal, sha256, path: this.path });
        creating = false;
        // Chute may have answered an unfinished upload of this same file: ask what it holds.
        this.mayHaveParts = this.multipart && Boolean(this.upload.resumed);
      }
      const row = this.multipart ? await this.sendMultipart(signal) : await this.sendSingle(signal);
      if (run !== this.runs) return;
      this.row = row;
      this.sent = this.file.size;
      this.moveTo("done");
    } catch (error) {
      if (error.name === "AbortError" || run !== this.runs) return;
      this.fail(error, { creating });
    }
  }

  fail(error, { creating }) {
    this.error = error;
    // Chute refusing to create the upload (too large, empty, a refused type, over quota)
    // answers the same every time: offer no Retry for it.
    const refused = creating && error.status >= 400 && error.status < 500 && !error.retryable;
    this.canRetry = !refused;
    if (!this.multipart) {
      // A single upload whose bytes landed keeps them when only the confirm failed for now.
      if (!(this.landed && error.retryable)) this.discard();
    } else if (error.code === "upload_gone" || error.code === "upload_closed") {
      // The bucket lost the multipart upload: Retry starts a new one.
      this.forgetUpload();
    }
    this.moveTo("failed");
  }

  /** One presigned POST or PUT, then confirm; resolves to the file's row. */
  async sendSingle(signal) {
    if (!this.landed) {
      // (After a failed confirm the bucket already holds the bytes: only confirm again.)
      this.moveTo("uploading");
      const onProgress = (loaded) => this.progress(loaded);
      const { method } = this.upload;
      if (method === "put") {
        const { url, headers } = this.upload.put;
        await this.sendToBucket("PUT", url, this.file, { headers, onProgress, signal });
      } else if (method === "post") {
        const form = new FormData();
        for (const [name, value] of Object.entries(this.upload.post.fields)) form.append(name, value);
        form.append("file", this.file); // S3 ignores fields after the file
        await this.sendToBucket("POST", this.upload.post.url, form, { onProgress, signal });
      } else {
        throw new UploadError(`This page cannot send ${method} uploads; reload it.`);
      }
      this.landed = true;
    }
    this.sent = this.file.size;
    this.moveTo("confirming");
    return this.client.confirm(this.upload, { signal });
  }

  partRange(number) {
    const start = (number - 1) * this.upload.part_size;
    return [start, Math.min(start + this.upload.part_size, this.file.size)];
  }

  partLength(number) {
    const [start, end] = this.partRange(number);
    return end - start;
  }

  /** The part's SHA-256, read from a slice of the file so memory stays one part at most. */
  checksum(number) {
    if (!this.checksums.has(number)) {
      const [start, end] = this.partRange(number);
      // The promise is kept, so callers asking for the same part at once share one read.
      const digest = this.hash(this.file.slice(start, end));
      digest.then(
        (sha256) => this.checksums.get(number) === digest && this.digests.set(number, sha256),
        () => this.checksums.delete(number),
      );
      this.checksums.set(number, digest);
    }
    return this.checksums.get(number);
  }

  /**
   * Send every part the bucket lacks, then complete. Parts are hashed one after another ahead
   * of the senders and signed in batches as they are hashed (signer.js); the number in flight
   * starts low and follows what the path rewards, up to twice `limits.parallel_parts` (pace.js).
   */
  async sendMultipart(signal, { reconciling = false } = {}) {
    const { part_count: count, limits } = this.upload;
    if (this.file.size !== this.upload.size) {
      throw new UploadError("This is not the file that upload was started with.");
    }
    if (this.mayHaveParts) {
      // Resumed (from any browser), paused or failed: ask the bucket what it already holds,
      // and keep only the parts whose bytes are this file's.
      const parts = await this.client.listParts(this.upload, { signal });
      if (parts.length) {
        this.notice = `Checking ${parts.length} stored part${parts.length === 1 ? "" : "s"}…`;
        this.emit();
      }
      this.etags = await matchingParts(parts, {
        count,
        partLength: (number) => this.partLength(number),
        checksum: (number) => this.checksum(number),
      });
      if (signal.aborted) throw aborted();
    }
    this.mayHaveParts = true;
    this.inFlight = new Map(); // part number -> bytes sent so far
    this.stored = 0;
    for (const number of this.etags.keys()) this.stored += this.partLength(number);
    if (this.state !== "uploading") this.moveTo("uploading");

    const queue = [];
    for (let number = 1; number <= count; number += 1) if (!this.etags.has(number)) queue.push(number);
    // One failed part stops its siblings; the first real error is the one reported.
    const run = new AbortController();
    const stop = () => run.abort();
    signal.addEventListener("abort", stop, { once: true });
    this.pace = this.paceFor(limits.parallel_parts);
    const signer = new PartSigner({
      sign: (parts, batchSignal) => this.client.signParts(this.upload, parts, { signal: batchSignal }),
      checksum: (number) => this.checksum(number),
      hashed: (number) => this.digests.has(number),
      queue,
      limits: { ...limits, parallel_parts: this.pace.target },
      partSize: this.upload.part_size,
    });
    this.partsProgress();
    if (queue.length) {
      // The first parts are hashed before a byte goes: say so until the first progress.
      this.notice = "Reading the file…";
      this.emit();
    }
    this.hashAhead([...queue], signer, run.signal);
    try {
      await new Promise((resolve, reject) => {
        let active = 0;
        let failed = false;
        // Start parts until as many are in flight as the pace asks; called again whenever
        // a part ends and on progress (the pace may have risen).
        this.fill = () => {
          while (!failed && queue.length && active < this.pace.target) {
            active += 1;
            this.sendPart(queue.shift(), signer, run.signal).then(
              () => {
                active -= 1;
                this.fill();
              },
              (error) => {
                failed = true;
                run.abort();
                reject(error);
              },
            );
          }
          if (!failed && !queue.length && !active) resolve();
        };
        this.fill();
      });
    } finally {
      this.fill = null;
      run.abort(); // stops the hashing ahead
      signal.removeEventListener("abort", stop);
    }
    if (signal.aborted) throw aborted();

    // Pausing while the bucket assembles the parts would gain nothing: confirming has no Pause.
    if (this.state !== "confirming") this.moveTo("confirming");
    const parts = [...this.etags].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
    try {
      return await this.client.complete(this.upload, parts, { signal });
    } catch (error) {
      // The bucket disagrees with what this page believes: list again and send what is missing.
      if (error.code === "parts_mismatch" && !reconciling) return this.sendMultipart(signal, { reconciling: true });
      throw error;
    }
  }

  partsProgress() {
    let sent = this.stored;
    for (const loaded of this.inFlight.values()) sent += loaded;
    this.progress(sent);
    if (this.fill) {
      // While parts are still being hashed, they and the parts in flight share the CPU:
      // the speed then says little about how many parts the path wants.
      if (!this.hashing) this.pace.sample(sent);
      this.fill();
    }
  }

  /**
   * Hash `numbers` one after another, ahead of the parts being sent, so batches are signed
   * from checksums already known (a read error surfaces later, from the part that needs it).
   */
  async hashAhead(numbers, signer, signal) {
    this.hashing = signal; // this run's: a paused run's hashing may end after the next starts
    try {
      for (const number of numbers) {
        if (signal.aborted) return;
        await this.checksum(number);
        signer.prefetch(signal);
      }
    } catch {
      // A part that cannot be read fails when it is sent, with its own sentence.
    } finally {
      if (this.hashing === signal) this.hashing = null;
    }
  }

  /** PUT one part, retrying network failures, 5xx and damaged bodies; re-signing on 403. */
  async sendPart(number, signer, signal) {
    const [start, end] = this.partRange(number);
    const body = this.file.slice(start, end); // a reference to the file, not a copy of it
    for (let attempt = 1; ; attempt += 1) {
      try {
        const url = await signer.url(number, signal);
        signer.prefetch(signal);
        const xhr = await this.sendToBucket("PUT", url, body, {
          headers: { "x-amz-checksum-sha256": await this.checksum(number) },
          onProgress: (loaded) => {
            this.inFlight.set(number, Math.min(loaded, end - start));
            this.partsProgress();
          },
          signal,
        });
        const etag = (xhr.getResponseHeader("ETag") || "").replaceAll('"', "");
        if (!etag) {
          throw new UploadError("Storage hid the part's ETag; its CORS rules must expose the ETag header.");
        }
        this.etags.set(number, etag);
        this.inFlight.delete(number);
        this.stored += end - start;
        this.partsProgress();
        return;
      } catch (error) {
        this.inFlight.delete(number);
        if (error.name === "AbortError") throw error;
        const recovery = partRecovery(error);
        if (recovery === "fatal" || attempt >= MAX_PART_ATTEMPTS) throw error;
        if (recovery === "resign") signer.forget(number); // ask Chute for a fresh URL
        if (recovery === "reread") {
          this.checksums.delete(number); // read the part again; its URL signs the old checksum
          this.digests.delete(number);
          signer.forget(number);
        }
        this.notice = `Part ${number} failed (${error.message}); retrying…`;
        this.emit();
        await this.sleep(backoffDelay(attempt), signal);
      }
    }
  }

  pause() {
    if (!this.snapshot().canPause) return;
    this.runs += 1;
    this.controller?.abort();
    this.moveTo("paused");
  }

  forgetUpload() {
    this.upload = null;
    this.etags = new Map();
    this.checksums = new Map();
    this.digests = new Map();
    this.mayHaveParts = false;
    this.landed = false;
    this.sent = 0;
  }

  /** Forget an upload on the server (best effort); for multipart this aborts it in the bucket. */
  async discard() {
    const upload = this.upload;
    this.forgetUpload();
    if (upload) await this.client.remove(upload).catch(() => {});
  }

  async cancel() {
    if (!TRANSITIONS[this.state].includes("cancelled")) return;
    this.runs += 1;
    this.controller?.abort();
    this.moveTo("cancelled");
    await this.discard();
  }
}
