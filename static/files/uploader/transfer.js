// One file on its way to the bucket, as a state machine that knows no DOM. It has ONE `state`
// and moves only along TRANSITIONS; every change is announced as a "change" event whose
// `detail` is a snapshot (pages/view.js renders those; pages/uploader.js wires both to the page).
//
// A transfer starts "queued" (waiting for its place: queue.js starts it). Small files are
// hashed whole, declared with their SHA-256 (the bucket then refuses other bytes), and go in one
// presigned POST or PUT, then confirm. Large files go as an S3 multipart upload, sent by
// multipart.js, and resumable after a pause, a failure, a reload or from another browser:
// Chute answers the unfinished upload of the same file.
//
// An encrypted transfer (`sealed`, a sealed.js SealedFile) sends ciphertext the same ways:
// its size, checksums and parts are the ciphertext's; Chute is told neither name nor folder.

import { Meter } from "./format.js";
import { sha256Base64, sha256OfFile } from "./hash.js";
import { MultipartPipeline } from "./multipart.js";
import { expectedPlan, firstPartCount } from "./plan.js";
import { UploadError, send as sendToBucket } from "./protocol.js";

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
   * @param sealed a sealed.js SealedFile to send `file` encrypted, or null
   * @param upload an unfinished upload of this file to continue (Chute's JSON), or null
   * @param partSize the server's CHUTE_PART_SIZE: a larger file's first parts are hashed
   *   before it is declared, so their URLs come with the declaration (0: not)
   * @param send, hashFile, now: protocol.js send, hash.js sha256OfFile and the meter's clock;
   *   hash, sleep, pace: multipart.js's (each replaced by tests)
   */
  constructor(
    file,
    {
      client,
      path = "",
      threshold = Infinity,
      partSize = 0,
      sealed = null,
      upload = null,
      send = sendToBucket,
      hashFile = sha256OfFile,
      now,
      hash,
      sleep,
      pace,
    } = {},
  ) {
    super();
    this.file = file;
    this.sealed = sealed;
    this.source = sealed ?? file; // what goes to the bucket: the file, or its ciphertext
    this.body = null; // an encrypted single upload's ciphertext, made once
    this.client = client;
    this.path = path;
    this.threshold = threshold;
    this.partSize = partSize;
    this.upload = upload;
    this.sendToBucket = send;
    this.hashFile = hashFile;
    this.meterClock = now;
    this.partOptions = { send, hash, sleep, pace };
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
    this.parts = null; // a multipart upload's MultipartPipeline: it survives pause and retry
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
      size: this.source.size,
      sent: this.sent,
      encrypted: Boolean(this.sealed),
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
    this.sent = Math.min(sentBytes, this.source.size);
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
        if (this.source.size < this.threshold) {
          // One request: declare the file's SHA-256 and the bucket checks every byte of it.
          this.notice = this.sealed ? "Encrypting the file…" : "Reading the file…";
          this.emit();
          if (this.sealed) this.body ??= await this.sealed.whole();
          sha256 = await this.hashFile(this.body ?? this.file);
          if (signal.aborted) return;
        }
        const first = await this.firstParts(signal);
        if (signal.aborted) return;
        creating = true;
        this.upload = this.sealed
          ? await this.client.createEncrypted(this.sealed, { signal, sha256 })
          : await this.declare(signal, { sha256, first });
        creating = false;
        if (this.multipart && this.upload.urls) this.parts = this.multipartPipeline(first);
      }
      if (this.multipart && !this.parts) this.parts = this.multipartPipeline();
      const row = this.multipart ? await this.parts.send(signal) : await this.sendSingle(signal);
      if (run !== this.runs) return;
      this.row = row;
      this.sent = this.source.size;
      this.body = null;
      this.sealed?.close(); // its workers
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
        await this.sendToBucket("PUT", url, this.body ?? this.file, { headers, onProgress, signal });
      } else if (method === "post") {
        const form = new FormData();
        for (const [name, value] of Object.entries(this.upload.post.fields)) form.append(name, value);
        form.append("file", this.body ?? this.file); // S3 ignores fields after the file
        await this.sendToBucket("POST", this.upload.post.url, form, { onProgress, signal });
      } else {
        throw new UploadError(`This page cannot send ${method} uploads; reload it.`);
      }
      this.landed = true;
    }
    this.sent = this.source.size;
    this.moveTo("confirming");
    return this.client.confirm(this.upload, { signal });
  }

  /** SHA-256 of the first parts of the plan Chute will most likely make ({number: sha256}). */
  async firstParts(signal) {
    // Not for an encrypted file: its parts are ciphertext, made as they are sent.
    if (this.sealed || !(this.partSize > 0 && this.file.size >= this.threshold)) return null;
    const plan = expectedPlan(this.file.size, this.partSize);
    this.notice = "Reading the file…";
    this.emit();
    const hash = this.partOptions.hash ?? sha256Base64;
    const first = {};
    for (let number = 1; number <= firstPartCount(plan) && !signal.aborted; number += 1) {
      const start = (number - 1) * plan.partSize;
      first[number] = await hash(this.file.slice(start, Math.min(start + plan.partSize, this.file.size)));
    }
    return first;
  }

  /** Create the upload, its first parts signed with it; declared again if Chute planned others. */
  async declare(signal, { sha256, first }) {
    const parts = first ? Object.entries(first).map(([number, hash]) => ({ number: Number(number), sha256: hash })) : null;
    const upload = await this.client.create(this.file, { signal, sha256, path: this.path, parts });
    const plan = first && expectedPlan(this.file.size, this.partSize);
    if (!upload.urls || (upload.part_size === plan.partSize && upload.part_count === plan.partCount)) {
      return upload;
    }
    // Those checksums are not this upload's parts: start it again clean (resume trusts them).
    await this.client.remove(upload, { signal });
    return this.client.create(this.file, { signal, sha256, path: this.path });
  }

  /** The pipeline that sends this multipart upload's parts, reporting to this state machine. */
  multipartPipeline(first = null) {
    return new MultipartPipeline({
      file: this.source,
      upload: this.upload,
      client: this.client,
      first,
      // Chute may have answered an unfinished upload of this same file: ask what it holds.
      resumed: Boolean(this.upload.resumed),
      report: {
        enter: (state) => this.state !== state && this.moveTo(state),
        progress: (sent) => this.progress(sent),
        notice: (text) => {
          this.notice = text;
          this.emit();
        },
      },
      ...this.partOptions,
    });
  }

  pause() {
    if (!this.snapshot().canPause) return;
    this.runs += 1;
    this.controller?.abort();
    this.moveTo("paused");
  }

  forgetUpload() {
    this.upload = null;
    this.parts = null;
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
    this.sealed?.close();
    await this.discard();
  }
}
