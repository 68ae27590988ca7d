// The multipart pipeline: sends one file's parts to an S3 multipart upload and completes it.
// No DOM and no state machine: transfer.js owns the file's `state` and is told what happens
// through `report`. Several parts are in flight, each with its SHA-256 signed into its URL (the
// bucket refuses a damaged part), each retried with backoff and re-signed when its URL
// expires. The pipeline lives as long as its upload, so what it learned survives a pause or a
// failure: a resumed run asks the bucket what it holds (ListParts stays the authority) and
// skips a stored part only when this file's bytes hash to what was signed for it.
//
//   const parts = new MultipartPipeline({ file, upload, client, resumed, report });
//   const row = await parts.send(signal); // the file's row HTML, from complete
//
// `report` has three calls: `enter("uploading" | "confirming")`, asked each time the pipeline
// starts sending or completing (it may be there already); `progress(sentBytes)`, the bytes of
// the file stored or in flight; `notice(text)`, a passing remark ("Reading the file…").
// `send` rejects with an UploadError, or an AbortError when `signal` stops it.

import { sha256Base64 } from "./hash.js";
import { paceFor } from "./pace.js";
import { UploadError, send as sendToBucket } from "./protocol.js";
import { matchingParts } from "./resume.js";
import { MAX_PART_ATTEMPTS, aborted, backoffDelay, partRecovery, sleep as sleepFor } from "./retry.js";
import { PartSigner } from "./signer.js";

export class MultipartPipeline {
  /**
   * @param file the File (or anything with size and slice())
   * @param upload Chute's answer to create, with method "multipart" (part_size, part_count, limits)
   * @param client a protocol.js Client
   * @param resumed Chute answered an unfinished upload: the bucket may hold parts already
   * @param report { enter(state), progress(sentBytes), notice(text) }: see the top of this file
   * @param send, hash, sleep, pace: protocol.js send, hash.js sha256Base64, retry.js sleep and
   *   pace.js paceFor, replaced by tests
   * @param first the first parts hashed before the declaration ({number: sha256}), when its
   *   answer signed them (`upload.urls`)
   */
  constructor({
    file,
    upload,
    client,
    first = null,
    resumed = false,
    report,
    send = sendToBucket,
    hash = sha256Base64,
    sleep = sleepFor,
    pace = paceFor,
  }) {
    this.file = file;
    this.upload = upload;
    this.client = client;
    this.report = report;
    this.sendToBucket = send;
    this.hash = hash;
    this.sleep = sleep;
    this.paceFor = pace;
    this.etags = new Map(); // part number -> ETag the bucket answered
    this.checksums = new Map(); // part number -> promise of its base64 SHA-256
    this.digests = new Map(); // part number -> its base64 SHA-256, once known
    this.mayHaveParts = Boolean(resumed);
    this.first = first && upload.urls ? upload : null;
    for (const [number, sha256] of Object.entries(first ?? {})) {
      this.checksums.set(Number(number), Promise.resolve(sha256));
      this.digests.set(Number(number), sha256);
    }
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
      // An encrypted file (sealed.js) makes the part's ciphertext and keeps it for sending.
      const digest = this.file.part ? this.file.part(start, end) : this.hash(this.file.slice(start, end));
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
  async send(signal, { reconciling = false } = {}) {
    const { part_count: count, limits } = this.upload;
    if (this.file.size !== this.upload.size) {
      throw new UploadError("This is not the file that upload was started with.");
    }
    if (this.mayHaveParts) {
      // Resumed (from any browser), paused or failed: ask the bucket what it already holds,
      // and keep only the parts whose bytes are this file's.
      const parts = await this.client.listParts(this.upload, { signal });
      if (parts.length) {
        this.report.notice(`Checking ${parts.length} stored part${parts.length === 1 ? "" : "s"}…`);
      }
      this.etags = await matchingParts(parts, {
        count,
        partLength: (number) => this.partLength(number),
        checksum: (number) => this.checksum(number),
      });
      for (const number of this.etags.keys()) this.file.forget?.(this.partRange(number)[0]);
      if (signal.aborted) throw aborted();
    }
    this.mayHaveParts = true;
    this.inFlight = new Map(); // part number -> bytes sent so far
    this.stored = 0;
    for (const number of this.etags.keys()) this.stored += this.partLength(number);
    this.report.enter("uploading");

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
      // An encrypted part is made, not only read: sending starts once the first two are.
      firstBatch: this.file.part ? Math.min(2, this.pace.target) : 0,
    });
    if (this.first) signer.accept(this.first); // signed with the declaration: once
    this.first = null;
    this.partsProgress();
    if (queue.length) {
      // The first parts are hashed before a byte goes: say so until the first progress.
      this.report.notice("Reading the file…");
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
      this.file.clear?.(); // an encrypted file's parts made ahead: made again if needed
      signal.removeEventListener("abort", stop);
    }
    if (signal.aborted) throw aborted();

    // Pausing while the bucket assembles the parts would gain nothing: confirming has no Pause.
    this.report.enter("confirming");
    const parts = [...this.etags].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
    try {
      return await this.client.complete(this.upload, parts, { signal });
    } catch (error) {
      // The bucket disagrees with what this page believes: list again and send what is missing.
      if (error.code === "parts_mismatch" && !reconciling) return this.send(signal, { reconciling: true });
      throw error;
    }
  }

  partsProgress() {
    let sent = this.stored;
    for (const loaded of this.inFlight.values()) sent += loaded;
    this.report.progress(sent);
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
        await this.file.room?.(signal); // an encrypted file keeps a few parts made ahead, no more
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
    // A reference to the file, not a copy of it; an encrypted file's part is made (or was).
    const body = this.file.take ? null : this.file.slice(start, end);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const url = await signer.url(number, signal);
        signer.prefetch(signal);
        const sha256 = await this.checksum(number);
        // Paused or cancelled while this part waited for its URL or its hash: send nothing.
        if (signal.aborted) throw aborted();
        const bytes = body ?? (await this.file.take(start, end));
        if (signal.aborted) throw aborted();
        const xhr = await this.sendToBucket("PUT", url, bytes, {
          headers: { "x-amz-checksum-sha256": sha256 },
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
        this.report.notice(`Part ${number} failed (${error.message}); retrying…`);
        await this.sleep(backoffDelay(attempt), signal);
      }
    }
  }
}
