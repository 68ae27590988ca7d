// SHA-256 of a slice of a file, base64 as S3's x-amz-checksum-sha256 header wants it.

import { UploadError } from "./protocol.js";

export async function sha256Base64(blob) {
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
