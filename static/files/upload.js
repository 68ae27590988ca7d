// Chute's uploader: the browser sends bytes straight to the bucket with URLs Django presigns,
// then asks Django to confirm. An ES module with no build step and no dependencies.

const list = document.querySelector("[data-uploader]");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** An error with a sentence a person can act on. */
export class UploadError extends Error {
  constructor(message, { status = 0, retryable = false } = {}) {
    super(message);
    this.status = status;
    this.retryable = retryable;
  }
}

/** Call Chute's JSON API; resolves to the parsed body (or text for HTML answers). */
export async function api(method, url, body, { html = false } = {}) {
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
    });
  } catch {
    throw new UploadError("Chute could not be reached. Check your connection.", { retryable: true });
  }
  if (!response.ok) {
    let message = `Chute answered ${response.status}.`;
    try {
      message = (await response.json()).message || message;
    } catch {
      /* not JSON: keep the status sentence */
    }
    throw new UploadError(message, {
      status: response.status,
      retryable: response.status >= 500 || response.status === 429,
    });
  }
  if (response.status === 204) return null;
  return html ? response.text() : response.json();
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
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }
}

/** Send `body` with XMLHttpRequest (fetch cannot report upload progress). */
export function send(method, url, body, { headers = {}, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(new UploadError(bucketMessage(xhr), { status: xhr.status, retryable: xhr.status >= 500 }));
    };
    xhr.onerror = () =>
      reject(new UploadError("The connection to storage failed.", { retryable: true }));
    xhr.onabort = () => reject(new DOMException("Cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

function bucketMessage(xhr) {
  const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "")?.[1];
  const known = {
    AccessDenied: "Storage refused the upload (the link may have expired).",
    EntityTooLarge: "Storage refused the file: it is larger than declared.",
    EntityTooSmall: "Storage refused the file: it is smaller than declared.",
    BadDigest: "The data was damaged in transit.",
    RequestTimeTooSkewed: "Your computer's clock is wrong; storage refused the request.",
  };
  return known[code] || `Storage answered ${xhr.status}${code ? ` (${code})` : ""}.`;
}

/** One file on its way: owns its row in the transfer list. */
export class Transfer {
  constructor(file) {
    this.file = file;
    this.upload = null;
    this.controller = null;
    this.meter = new Meter();
    this.sent = 0;
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
          <button type="button" class="button small ghost" data-action="retry" hidden>Retry</button>
          <button type="button" class="button small danger" data-action="cancel">Cancel</button>
        </span>
      </div>
      <progress max="100" value="0"></progress>`;
    item.querySelector(".transfer-name").textContent = this.file.name;
    item.querySelector(".transfer-name").title = `${this.file.name} — ${formatBytes(this.file.size)}`;
    item.querySelector('[data-action="cancel"]').addEventListener("click", () => this.cancel());
    item.querySelector('[data-action="retry"]').addEventListener("click", () => this.start());
    return item;
  }

  show(stats, { state = "", progress } = {}) {
    this.element.classList.remove("done", "failed");
    if (state) this.element.classList.add(state);
    this.element.querySelector(".transfer-stats").textContent = stats;
    if (progress !== undefined) this.element.querySelector("progress").value = progress;
    this.element.querySelector('[data-action="retry"]').hidden = state !== "failed";
    this.element.querySelector('[data-action="cancel"]').hidden = state === "done";
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
    this.meter = new Meter();
    this.show("Preparing…", { progress: 0 });
    try {
      this.upload = await api("POST", list.dataset.createUrl, {
        name: this.file.name,
        size: this.file.size,
        content_type: this.file.type || "application/octet-stream",
      });
      await this.sendBytes(this.controller.signal);
      this.show("Checking…", { progress: 100 });
      const row = await api("POST", `/api/uploads/${this.upload.id}/confirm`, undefined, { html: true });
      addFileRow(row);
      this.show(`Uploaded · ${formatBytes(this.file.size)}`, { state: "done", progress: 100 });
      setTimeout(() => this.element.remove(), 6000);
    } catch (error) {
      if (error.name === "AbortError") return;
      this.show(error.message || "The upload failed.", { state: "failed" });
      this.discard();
    }
  }

  async sendBytes(signal) {
    const onProgress = (loaded) => this.progress(Math.min(loaded, this.file.size));
    if (this.upload.method === "put") {
      await send("PUT", this.upload.put.url, this.file, { headers: this.upload.put.headers, onProgress, signal });
    } else if (this.upload.method === "post") {
      const form = new FormData();
      for (const [name, value] of Object.entries(this.upload.post.fields)) form.append(name, value);
      form.append("file", this.file); // S3 ignores fields after the file
      await send("POST", this.upload.post.url, form, { onProgress, signal });
    } else {
      throw new UploadError(`This page cannot send ${this.upload.method} uploads; reload it.`);
    }
  }

  /** Forget a failed or cancelled upload on the server (best effort). */
  async discard() {
    const upload = this.upload;
    this.upload = null;
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
    const transfer = new Transfer(file);
    list.append(transfer.element);
    transfer.start();
  }
}

function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

if (list) {
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
