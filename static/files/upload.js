// Chute's uploader: the browser sends bytes straight to the bucket with URLs Django presigns,
// then asks Django to confirm. An ES module with no build step and no dependencies.
//
// Small files go in one presigned POST or PUT. Large files go as an S3 multipart upload:
// several parts in flight, each with its SHA-256 signed into its URL (the bucket refuses a
// damaged part), each retried with backoff, re-signed when its URL expires, and resumable
// after a reload by choosing the same file again.

const list = document.querySelector("[data-uploader]");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const parallelParts = Math.max(1, Number(list?.dataset.parallelParts) || 4);

const MAX_PART_ATTEMPTS = 6; // the first try and five retries
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
// The first batch of part URLs is small so the upload starts at once; later batches are large
// and signed in the background while parts are in flight, so a GiB costs a handful of calls
// to Django (the server signs at most 100 parts a call).
const FIRST_SIGN_BATCH = Math.min(100, Math.max(8, 2 * parallelParts));
const SIGN_BATCH = Math.min(100, Math.max(32, 8 * parallelParts));
const HASHES_AT_ONCE = 2;
const RENEW_MARGIN_MS = 60_000; // re-sign a URL this close to its expiry instead of using it
const RESUME_KEY = "chute:upload:";
const RESUME_KEEP_MS = 14 * 24 * 3600 * 1000; // the bucket's lifecycle rule aborts long before

/** An error with a sentence a person can act on. */
export class UploadError extends Error {
  constructor(message, { status = 0, code = "", retryable = false, bucket = false } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.bucket = bucket; // answered by the bucket rather than by Chute
  }
}

function aborted() {
  return new DOMException("Cancelled", "AbortError");
}

/** Call Chute's JSON API; resolves to the parsed body (or text for HTML answers). */
export async function api(method, url, body, { html = false, signal } = {}) {
  const headers = { "X-CSRFToken": csrfToken, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (html) headers["HX-Request"] = "true";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new UploadError("Chute could not be reached. Check your connection.", { retryable: true });
  }
  if (!response.ok) {
    let message = `Chute answered ${response.status}.`;
    let code = "";
    try {
      const answer = await response.json();
      message = answer.message || message;
      code = answer.error || "";
    } catch {
      /* not JSON: keep the status sentence */
    }
    throw new UploadError(message, {
      status: response.status,
      code,
      retryable: response.status >= 500 || response.status === 429,
    });
  }
  if (response.status === 204) return null;
  return html ? response.text() : response.json();
}

/** `fn` over `items` with at most `limit` calls running at once; results keep their order. */
async function mapWithLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function formatBytes(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Speed over the last few seconds of progress samples, so the figure follows the network. */
export class Meter {
  constructor(windowMs = 4000) {
    this.windowMs = windowMs;
    this.samples = [];
  }
  add(bytesDone) {
    const now = performance.now();
    this.samples.push([now, bytesDone]);
    while (this.samples.length > 2 && now - this.samples[0][0] > this.windowMs) this.samples.shift();
  }
  bytesPerSecond() {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? Math.max(0, ((b1 - b0) * 1000) / (t1 - t0)) : 0;
  }
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so clients spread. */
export function backoffDelay(attempt) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(aborted());
      },
      { once: true },
    );
  });
}

/** Send `body` with XMLHttpRequest (fetch cannot report upload progress). */
export function send(method, url, body, { headers = {}, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr);
      const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "")?.[1] ?? "";
      reject(
        new UploadError(bucketMessage(xhr.status, code), {
          status: xhr.status,
          code,
          bucket: true,
          // A damaged body (BadDigest) is worth sending again, like throttling and 5xx.
          retryable: xhr.status >= 500 || xhr.status === 408 || xhr.status === 429 || code === "BadDigest",
        }),
      );
    };
    xhr.onerror = () =>
      reject(new UploadError("The connection to storage failed.", { retryable: true, bucket: true }));
    xhr.onabort = () => reject(aborted());
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

function bucketMessage(status, code) {
  const known = {
    AccessDenied: "Storage refused the upload (the link may have expired).",
    EntityTooLarge: "Storage refused the file: it is larger than declared.",
    EntityTooSmall: "Storage refused the file: it is smaller than declared.",
    BadDigest: "The data was damaged in transit.",
    NoSuchUpload: "Storage no longer holds this upload; start it again.",
    RequestTimeTooSkewed: "Your computer's clock is wrong; storage refused the request.",
  };
  return known[code] || `Storage answered ${status}${code ? ` (${code})` : ""}.`;
}

async function sha256Base64(blob) {
  if (!globalThis.crypto?.subtle) {
    throw new UploadError("Large uploads need a secure page (HTTPS) to checksum the file.");
  }
  let bytes;
  try {
    bytes = await blob.arrayBuffer();
  } catch {
    throw new UploadError("The file could not be read; it may have changed on disk. Choose it again.");
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// --- Resume after a reload ----------------------------------------------------------------
// The server lists unfinished multipart uploads; this browser remembers which file each one
// was (name, size, last-modified), so choosing that file again continues the upload.

const resumeStore = {
  save(id, file) {
    const entry = { name: file.name, size: file.size, lastModified: file.lastModified, saved: Date.now() };
    try {
      localStorage.setItem(RESUME_KEY + id, JSON.stringify(entry));
    } catch {
      /* storage full or disabled: the upload works, it just cannot resume after a reload */
    }
  },
  load(id) {
    try {
      return JSON.parse(localStorage.getItem(RESUME_KEY + id) || "null");
    } catch {
      return null;
    }
  },
  forget(id) {
    try {
      localStorage.removeItem(RESUME_KEY + id);
    } catch {
      /* nothing to forget */
    }
  },
  prune() {
    try {
      for (const key of Object.keys(localStorage)) {
        if (!key.startsWith(RESUME_KEY)) continue;
        const entry = JSON.parse(localStorage.getItem(key) || "null");
        if (!entry || Date.now() - entry.saved > RESUME_KEEP_MS) localStorage.removeItem(key);
      }
    } catch {
      /* best effort */
    }
  },
};

/** The unfinished upload this file belongs to (same name, size and last-modified), if any. */
function claimResumable(file) {
  for (const row of document.querySelectorAll("[data-resumable]")) {
    const saved = resumeStore.load(row.dataset.uploadId);
    const same =
      saved &&
      Number(row.dataset.size) === file.size &&
      saved.size === file.size &&
      saved.name === file.name &&
      saved.lastModified === file.lastModified;
    if (!same) continue;
    const upload = {
      id: row.dataset.uploadId,
      method: "multipart",
      size: file.size,
      part_size: Number(row.dataset.partSize),
      part_count: Number(row.dataset.partCount),
    };
    const section = row.closest("#resumable");
    row.remove();
    if (section && !section.querySelector("[data-resumable]")) section.hidden = true;
    return upload;
  }
  return null;
}

// --- Multipart ----------------------------------------------------------------------------

/** Signs part URLs in batches, one batch at a time, ahead of the parts that need them. */
class PartSigner {
  constructor(transfer, queue) {
    this.transfer = transfer;
    this.queue = queue; // part numbers no worker has taken yet, in order
    this.urls = new Map(); // number -> { url, expiresAt } in this browser's clock
    this.busy = null;
  }

  usable(number) {
    const entry = this.urls.get(number);
    return entry && entry.expiresAt - Date.now() > RENEW_MARGIN_MS ? entry.url : null;
  }

  forget(number) {
    this.urls.delete(number);
  }

  async url(number, signal) {
    for (;;) {
      const url = this.usable(number);
      if (url) return url;
      if (this.busy) {
        await this.busy.catch(() => {});
        continue;
      }
      await this.sign([number, ...this.upcoming(FIRST_SIGN_BATCH - 1, number)], signal);
      if (!this.usable(number)) throw new UploadError(`Chute did not sign part ${number}.`);
    }
  }

  upcoming(limit, except) {
    const numbers = [];
    for (const number of this.queue) {
      if (numbers.length >= limit) break;
      if (number !== except && !this.usable(number)) numbers.push(number);
    }
    return numbers;
  }

  /** Sign the next batch in the background when few signed URLs are left. */
  prefetch(signal) {
    if (this.busy) return;
    const ready = this.queue.filter((number) => this.usable(number)).length;
    const next = this.upcoming(SIGN_BATCH);
    // Start while half a batch of signed parts is left: hashing a batch (~380 MB/s) must end
    // before the workers have sent what is left (at most a network's ~100 MB/s).
    if (ready < SIGN_BATCH / 2 && next.length) this.sign(next, signal).catch(() => {});
  }

  sign(numbers, signal) {
    this.busy = (async () => {
      // Hash two parts at a time: WebCrypto runs off the main thread, so a second core helps,
      // while memory stays at two parts.
      const parts = await mapWithLimit(numbers, HASHES_AT_ONCE, async (number) => ({
        number,
        sha256: await this.transfer.checksum(number),
      }));
      const answer = await api("POST", `/api/uploads/${this.transfer.upload.id}/parts`, { parts }, { signal });
      const received = Date.now();
      for (const [number, url] of Object.entries(answer.urls)) {
        // The URL's own lifetime, counted from now, is immune to this computer's clock error.
        const lifetime = Number(new URL(url).searchParams.get("X-Amz-Expires"));
        const expiresAt = lifetime > 0 ? received + lifetime * 1000 : Date.parse(answer.expires_at);
        this.urls.set(Number(number), { url, expiresAt });
      }
    })().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }
}

/** One file on its way: owns its row in the transfer list. */
export class Transfer {
  constructor(file, resumed = null) {
    this.file = file;
    this.upload = resumed;
    this.controller = null;
    this.meter = new Meter();
    this.sent = 0;
    this.paused = false;
    this.partsRunning = false;
    // Multipart state survives pause and retry; the bucket's ListParts stays the authority.
    this.etags = new Map(); // part number -> ETag the bucket answered
    this.checksums = new Map(); // part number -> base64 SHA-256
    this.mayHaveParts = Boolean(resumed);
    this.element = this.render();
  }

  render() {
    const item = document.createElement("li");
    item.className = "transfer";
    item.innerHTML = `
      <div class="transfer-head">
        <span class="transfer-name"></span>
        <span class="transfer-stats"></span>
        <span class="transfer-buttons">
          <button type="button" class="button small ghost" data-action="pause" hidden>Pause</button>
          <button type="button" class="button small ghost" data-action="resume" hidden>Resume</button>
          <button type="button" class="button small ghost" data-action="retry" hidden>Retry</button>
          <button type="button" class="button small danger" data-action="cancel">Cancel</button>
        </span>
      </div>
      <progress max="100" value="0"></progress>`;
    item.querySelector(".transfer-name").textContent = this.file.name;
    item.querySelector(".transfer-name").title = `${this.file.name} — ${formatBytes(this.file.size)}`;
    item.querySelector('[data-action="cancel"]').addEventListener("click", () => this.cancel());
    item.querySelector('[data-action="retry"]').addEventListener("click", () => this.start());
    item.querySelector('[data-action="pause"]').addEventListener("click", () => this.pause());
    item.querySelector('[data-action="resume"]').addEventListener("click", () => this.start());
    return item;
  }

  get multipart() {
    return this.upload?.method === "multipart";
  }

  show(stats, { state = "", progress } = {}) {
    this.element.classList.remove("done", "failed", "paused");
    if (state) this.element.classList.add(state);
    this.element.querySelector(".transfer-stats").textContent = stats;
    if (progress !== undefined) this.element.querySelector("progress").value = progress;
    const button = (action) => this.element.querySelector(`[data-action="${action}"]`);
    button("retry").hidden = state !== "failed";
    button("cancel").hidden = state === "done";
    button("pause").hidden = !(this.partsRunning && state === "");
    button("resume").hidden = state !== "paused";
  }

  progress(sentBytes) {
    this.sent = sentBytes;
    this.meter.add(sentBytes);
    const speed = this.meter.bytesPerSecond();
    const size = this.file.size;
    const eta = speed > 0 ? formatDuration((size - sentBytes) / speed) : "";
    const parts = [`${formatBytes(sentBytes)} of ${formatBytes(size)}`];
    if (speed > 0) parts.push(`${formatBytes(speed)}/s`);
    if (eta && sentBytes < size) parts.push(`${eta} left`);
    this.show(parts.join(" · "), { progress: size ? (100 * sentBytes) / size : 100 });
  }

  async start() {
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.meter = new Meter();
    this.paused = false;
    this.show("Preparing…", { progress: (100 * this.sent) / (this.file.size || 1) });
    try {
      if (!this.upload) {
        this.upload = await api("POST", list.dataset.createUrl, {
          name: this.file.name,
          size: this.file.size,
          content_type: this.file.type || "application/octet-stream",
        });
        if (this.multipart) resumeStore.save(this.upload.id, this.file);
      }
      const row = this.multipart ? await this.sendMultipart(signal) : await this.sendSingle(signal);
      if (this.multipart) resumeStore.forget(this.upload.id);
      addFileRow(row);
      this.show(`Uploaded · ${formatBytes(this.file.size)}`, { state: "done", progress: 100 });
      setTimeout(() => this.element.remove(), 6000);
    } catch (error) {
      if (error.name === "AbortError") return;
      this.show(error.message || "The upload failed.", { state: "failed" });
      // A multipart upload keeps its parts so Retry continues it, unless the bucket lost it.
      // A single upload whose bytes landed keeps them when only the confirm failed for now.
      if (!this.multipart) {
        if (!(this.landed && error.retryable)) this.discard();
      }
      else if (error.code === "upload_gone" || error.code === "upload_closed") this.forgetUpload();
    }
  }

  /** One presigned POST or PUT, then confirm; resolves to the file's row. */
  async sendSingle(signal) {
    const onProgress = (loaded) => this.progress(Math.min(loaded, this.file.size));
    if (this.landed) {
      // Retry after a failed confirm: the bucket already holds the bytes.
    } else if (this.upload.method === "put") {
      await send("PUT", this.upload.put.url, this.file, { headers: this.upload.put.headers, onProgress, signal });
    } else if (this.upload.method === "post") {
      const form = new FormData();
      for (const [name, value] of Object.entries(this.upload.post.fields)) form.append(name, value);
      form.append("file", this.file); // S3 ignores fields after the file
      await send("POST", this.upload.post.url, form, { onProgress, signal });
    } else {
      throw new UploadError(`This page cannot send ${this.upload.method} uploads; reload it.`);
    }
    this.landed = true;
    this.show("Checking…", { progress: 100 });
    return api("POST", `/api/uploads/${this.upload.id}/confirm`, undefined, { html: true, signal });
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
      const digest = sha256Base64(this.file.slice(start, end));
      digest.catch(() => this.checksums.delete(number));
      this.checksums.set(number, digest);
    }
    return this.checksums.get(number);
  }

  /** Send every part the bucket lacks, `parallelParts` at a time, then complete. */
  async sendMultipart(signal, { reconciling = false } = {}) {
    const { id, part_count: count } = this.upload;
    if (this.file.size !== this.upload.size) {
      throw new UploadError("This is not the file that upload was started with.");
    }
    if (this.mayHaveParts) {
      // After a reload, pause or failure, ask the bucket what it already holds.
      const { parts } = await api("GET", `/api/uploads/${id}/parts`, undefined, { signal });
      this.etags = new Map(
        parts.filter((part) => part.size === this.partLength(part.number)).map((part) => [part.number, part.etag]),
      );
    }
    this.mayHaveParts = true;
    this.inFlight = new Map(); // part number -> bytes sent so far
    this.stored = 0;
    for (const number of this.etags.keys()) this.stored += this.partLength(number);
    this.showPartsProgress();

    const queue = [];
    for (let number = 1; number <= count; number += 1) if (!this.etags.has(number)) queue.push(number);
    // One failed part stops its siblings; the first real error is the one reported.
    const run = new AbortController();
    const stop = () => run.abort();
    signal.addEventListener("abort", stop, { once: true });
    const signer = new PartSigner(this, queue);
    this.partsRunning = true;
    const worker = async () => {
      while (queue.length) {
        const number = queue.shift();
        await this.sendPart(number, signer, run.signal);
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(parallelParts, queue.length) }, () =>
          worker().catch((error) => {
            run.abort();
            throw error;
          }),
        ),
      );
    } finally {
      signal.removeEventListener("abort", stop);
      this.partsRunning = false; // pausing while the bucket assembles the parts would gain nothing
    }
    if (signal.aborted) throw aborted();

    this.show("Assembling…", { progress: 100 });
    const parts = [...this.etags].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
    try {
      return await api("POST", `/api/uploads/${id}/complete`, { parts }, { html: true, signal });
    } catch (error) {
      // The bucket disagrees with what this page believes: list again and send what is missing.
      if (error.code === "parts_mismatch" && !reconciling) return this.sendMultipart(signal, { reconciling: true });
      throw error;
    }
  }

  showPartsProgress() {
    let sent = this.stored;
    for (const loaded of this.inFlight.values()) sent += loaded;
    this.progress(Math.min(sent, this.file.size));
  }

  /** PUT one part, retrying network failures, 5xx and damaged bodies; re-signing on 403. */
  async sendPart(number, signer, signal) {
    const [start, end] = this.partRange(number);
    const body = this.file.slice(start, end); // a reference to the file, not a copy of it
    for (let attempt = 1; ; attempt += 1) {
      try {
        const url = await signer.url(number, signal);
        signer.prefetch(signal);
        const xhr = await send("PUT", url, body, {
          headers: { "x-amz-checksum-sha256": await this.checksum(number) },
          onProgress: (loaded) => {
            this.inFlight.set(number, Math.min(loaded, end - start));
            this.showPartsProgress();
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
        this.showPartsProgress();
        return;
      } catch (error) {
        this.inFlight.delete(number);
        if (error.name === "AbortError") throw error;
        if (error.bucket && error.status === 403) {
          signer.forget(number); // expired (or refused) signature: ask Chute for a fresh URL
        } else if (error.code === "BadDigest") {
          this.checksums.delete(number); // read the part again; its URL signs the old checksum
          signer.forget(number);
        } else if (!error.retryable) {
          throw error;
        }
        if (attempt >= MAX_PART_ATTEMPTS) throw error;
        this.show(`Part ${number} failed (${error.message}); retrying…`);
        await sleep(backoffDelay(attempt), signal);
      }
    }
  }

  pause() {
    if (!this.multipart) return;
    this.paused = true;
    this.controller?.abort();
    this.show(`Paused · ${formatBytes(this.sent)} of ${formatBytes(this.file.size)}`, { state: "paused" });
  }

  forgetUpload() {
    if (this.upload) resumeStore.forget(this.upload.id);
    this.upload = null;
    this.etags = new Map();
    this.checksums = new Map();
    this.mayHaveParts = false;
    this.landed = false;
    this.sent = 0;
  }

  /** Forget an upload on the server (best effort); for multipart this aborts it in the bucket. */
  async discard() {
    const upload = this.upload;
    this.forgetUpload();
    if (upload) await api("DELETE", `/api/uploads/${upload.id}`).catch(() => {});
  }

  async cancel() {
    this.controller?.abort();
    await this.discard();
    this.element.remove();
  }
}

function addFileRow(html) {
  const rows = document.getElementById("file-rows");
  if (!rows) {
    document.body.dispatchEvent(new CustomEvent("chute:files-changed", { bubbles: true }));
    return;
  }
  rows.insertAdjacentHTML("afterbegin", html);
  const row = rows.firstElementChild;
  window.htmx?.process(row);
  const count = document.querySelector("#file-list .count");
  if (count) count.textContent = String(Number(count.textContent) + 1);
}

export function enqueue(files) {
  for (const file of files) {
    const transfer = new Transfer(file, claimResumable(file));
    list.append(transfer.element);
    transfer.start();
  }
}

function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

if (list) {
  resumeStore.prune();
  const input = document.getElementById("file-input");
  input?.addEventListener("change", () => {
    enqueue(Array.from(input.files));
    input.value = "";
  });
  // The whole window is a drop target.
  let depth = 0;
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    document.body.classList.add("dragging");
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("dragging");
  });
  window.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("dragging");
    enqueue(Array.from(event.dataTransfer.files));
  });
}
