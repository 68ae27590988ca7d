// SHA-256 of a file or a slice of one, base64 as S3's x-amz-checksum-sha256 header and POST
// field want it.

import { UploadError } from "./protocol.js";

/** The SHA-256 of a Blob (read here) or of bytes already read (an ArrayBuffer view). */
export async function sha256Base64(blob) {
  if (!globalThis.crypto?.subtle) {
    throw new UploadError("Large uploads need a secure page (HTTPS) to checksum the file.");
  }
  let bytes = ArrayBuffer.isView(blob) ? blob : null;
  try {
    bytes ??= await blob.arrayBuffer();
  } catch {
    throw new UploadError("The file could not be read; it may have changed on disk. Choose it again.");
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * A whole (single-request) file's SHA-256, read and hashed in a worker so the page never
 * holds its bytes nor waits on them; WebCrypto has no streaming digest, so the worker holds
 * the file once (files this small stay below CHUTE_MULTIPART_THRESHOLD). Resolves to null
 * where WebCrypto is missing (a page served over plain HTTP): the file then goes unhashed.
 * Without a worker (none at `workerUrl`, or a static host on another origin, which browsers
 * refuse workers from) it hashes here: WebCrypto still digests off the main thread.
 */
export async function sha256OfFile(file, { workerUrl } = {}) {
  if (!globalThis.crypto?.subtle) return null;
  let worker = null;
  try {
    if (workerUrl && globalThis.Worker) worker = new Worker(workerUrl, { type: "module" });
  } catch {
    worker = null;
  }
  if (!worker) return sha256Base64(file);
  try {
    const answer = await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error("worker failed"));
      };
      worker.postMessage(file); // a File is passed by reference, not copied
    });
    if (answer.error) throw new UploadError(answer.error);
    return answer.sha256;
  } catch (error) {
    if (error instanceof UploadError) throw error;
    return sha256Base64(file); // the worker could not load (CSP, an old browser): hash here
  } finally {
    worker.terminate();
  }
}
