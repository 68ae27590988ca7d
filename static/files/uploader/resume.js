// Resume from anywhere. Starting a file again (same name, size, type and last-modified time)
// makes Chute answer the owner's unfinished upload of it, from any browser; nothing is kept in
// this one. The bucket's parts are then trusted only where this file's own bytes match what
// was signed for them. No DOM.

import { mapWithLimit } from "./signer.js";

const HASHES_AT_ONCE = 2; // as signer.js: WebCrypto hashes off the main thread

/**
 * The stored parts (GET links.parts: [{number, etag, size, sha256}]) this file may skip, as a
 * Map of number → ETag: a part is kept only when its size is the planned one and its signed
 * SHA-256 equals the SHA-256 of the same bytes here. Any other part is sent again (a changed
 * file, a part signed without a checksum, a listing that names no checksum).
 */
export async function matchingParts(stored, { count, partLength, checksum }) {
  const candidates = stored.filter(
    (part) => part.number >= 1 && part.number <= count && part.sha256 && part.size === partLength(part.number),
  );
  const kept = new Map();
  await mapWithLimit(candidates, HASHES_AT_ONCE, async (part) => {
    if ((await checksum(part.number)) === part.sha256) kept.set(part.number, part.etag);
  });
  return kept;
}
