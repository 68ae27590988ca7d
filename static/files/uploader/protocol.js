// Chute's upload protocol, as a client with no DOM: create an upload, sign part URLs, list
// parts, complete, confirm, delete (Django's JSON API), and send bytes to the bucket.
// Every path comes from the server: the create URL from the page, the rest from the upload's
// own `links`, so this file holds no API paths and no copied server limits.

import { aborted } from "./retry.js";

/** An error with a sentence a person can act on. */
export class UploadError extends Error {
  constructor(message, { status = 0, code = "", retryable = false, bucket = false } = {}) {
    super(message);
    this.name = "UploadError";
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.bucket = bucket; // answered by the bucket rather than by Chute
  }
}

export class Client {
  constructor({ createUrl, csrfToken = "", fetch = (...args) => globalThis.fetch(...args) }) {
    this.createUrl = createUrl;
    this.csrfToken = csrfToken;
    this.fetch = fetch;
  }

  /** Call Chute's JSON API; resolves to the parsed body, the text of an HTML answer, or null. */
  async call(method, url, body, { html = false, signal } = {}) {
    const headers = { "X-CSRFToken": this.csrfToken, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (html) headers["HX-Request"] = "true"; // confirm and complete then answer the file's row
    let response;
    try {
      response = await this.fetch(url, {
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

  /**
   * A new upload for `file`, or the owner's unfinished upload of the same file (same name,
   * size, type and last-modified time): the server's JSON (method, links, limits, part plan).
   * `sha256` (base64, files below the multipart threshold) is pinned by the bucket; `path` is
   * the file's path within a chosen folder.
   */
  create(file, { signal, sha256 = null, path = "", parts = null } = {}) {
    const body = {
      name: file.name,
      size: file.size,
      content_type: file.type || "application/octet-stream",
      last_modified: file.lastModified,
    };
    if (sha256) body.sha256 = sha256;
    if (path) body.path = path;
    if (parts?.length) body.parts = parts; // the first parts' URLs come back as `urls`
    return this.call("POST", this.createUrl, body, { signal });
  }

  /**
   * A new upload of an encrypted file (sealed.js): its ciphertext size and encrypted meta,
   * never its name, folder or dates (Chute refuses them with encrypted uploads).
   */
  createEncrypted(sealed, { signal, sha256 = null } = {}) {
    const body = { encrypted: true, size: sealed.size, meta: sealed.meta, content_type: "application/octet-stream" };
    if (sha256) body.sha256 = sha256;
    return this.call("POST", this.createUrl, body, { signal });
  }

  /** A link to `files` (ids) → the new link's JSON ({url, …}); `options`: expires_in, … */
  share(url, files, options = {}) {
    return this.call("POST", url, { files, ...options });
  }

  /** Presigned URLs for `parts` ([{number, sha256}]) → {"urls": {n: url}, "expires_at"}. */
  signParts(upload, parts, { signal } = {}) {
    return this.call("POST", upload.links.parts, { parts }, { signal });
  }

  /** The parts the bucket already holds → [{number, etag, size, sha256}] (sha256: as signed). */
  async listParts(upload, { signal } = {}) {
    return (await this.call("GET", upload.links.parts, undefined, { signal })).parts;
  }

  /** Assemble the parts ([{number, etag}]) and confirm; resolves to the file's row HTML. */
  complete(upload, parts, { signal } = {}) {
    return this.call("POST", upload.links.complete, { parts }, { html: true, signal });
  }

  /** Ask Chute to check the object in the bucket; resolves to the file's row HTML. */
  confirm(upload, { signal } = {}) {
    return this.call("POST", upload.links.confirm, undefined, { html: true, signal });
  }

  /** A presigned POST for a ready file's preview ({content_type, size}): {post: {url, fields}}. */
  thumbnail(upload, { contentType, size }) {
    return this.call("POST", upload.links.thumbnail, { content_type: contentType, size });
  }

  /** Register the preview the bucket now holds: {thumbnail: <short-lived URL>}. */
  confirmThumbnail(upload) {
    return this.call("POST", `${upload.links.thumbnail}/confirm`);
  }

  /** Abort a pending upload (and its parts in the bucket) or delete a ready file. */
  remove(upload) {
    return this.call("DELETE", upload.links.self);
  }
}

const BUCKET_MESSAGES = {
  AccessDenied: "Storage refused the upload (the link may have expired).",
  EntityTooLarge: "Storage refused the file: it is larger than declared.",
  EntityTooSmall: "Storage refused the file: it is smaller than declared.",
  BadDigest: "The data was damaged in transit.",
  NoSuchUpload: "Storage no longer holds this upload; start it again.",
  RequestTimeTooSkewed: "Your computer's clock is wrong; storage refused the request.",
};

/** The error for a bucket's answer (`status`, its XML `body`). */
export function bucketError(status, body) {
  const code = /<Code>([^<]+)<\/Code>/.exec(body || "")?.[1] ?? "";
  const message = BUCKET_MESSAGES[code] || `Storage answered ${status}${code ? ` (${code})` : ""}.`;
  return new UploadError(message, {
    status,
    code,
    bucket: true,
    // A damaged body (BadDigest) is worth sending again, like throttling and 5xx.
    retryable: status >= 500 || status === 408 || status === 429 || code === "BadDigest",
  });
}

/** Send `body` to the bucket with XMLHttpRequest (fetch cannot report upload progress). */
export function send(method, url, body, { headers = {}, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(bucketError(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new UploadError("The connection to storage failed.", { retryable: true, bucket: true }));
    xhr.onabort = () => reject(aborted());
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
