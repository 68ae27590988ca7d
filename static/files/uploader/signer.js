// Part URLs: signed in batches, one batch at a time, as parts get hashed. No DOM.

import { UploadError } from "./protocol.js";

const HASHES_AT_ONCE = 2; // WebCrypto hashes off the main thread; two parts use a second core
const RENEW_MARGIN_MS = 60_000; // re-sign a URL this close to its expiry instead of using it

const FIRST_BATCH_BYTES = 256 * 1024 * 1024; // a few seconds of sending next to the bucket
// A part that needs its URL waits for this many more hashes (~0.2 s each) rather than leave
// them to one more request to Chute.
const FEW_LEFT_TO_HASH = 2;

/**
 * Batch sizes from the server's limits. The first batch fills the parts in flight (and about
 * FIRST_BATCH_BYTES) so the upload starts at once; later ones sign every part hashed by then,
 * as many as the server signs in one call: a GiB in 64 MiB parts costs Django 4 calls
 * (create, 4 parts, the other 12, complete) when hashing (~400 MB/s) outpaces the network.
 */
export function batchSizes({ parts_per_request: perRequest, parallel_parts: parallel }, partSize = 0) {
  const filling = partSize > 0 ? Math.ceil(FIRST_BATCH_BYTES / partSize) : 8;
  return {
    first: Math.min(perRequest, Math.max(filling, parallel)),
    later: perRequest,
  };
}

/** `fn` over `items` with at most `limit` calls running at once; results keep their order. */
export async function mapWithLimit(items, limit, fn) {
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

export class PartSigner {
  /**
   * @param sign async (parts: [{number, sha256}], signal) => {urls, expires_at}
   * @param checksum async (number) => base64 SHA-256 of that part
   * @param hashed (number) => whether that part's SHA-256 is known already
   * @param queue part numbers no worker has taken yet, in order (shared with the workers)
   */
  constructor({ sign, checksum, hashed = () => false, queue, limits, partSize = 0, firstBatch = 0, now = Date.now }) {
    this.signBatch = sign;
    this.checksum = checksum;
    this.hashed = hashed;
    this.queue = queue;
    this.batch = batchSizes(limits, partSize);
    // Parts slower to make than to hash (encrypted ones): start sending after fewer.
    if (firstBatch > 0) this.batch.first = Math.min(this.batch.first, firstBatch);
    this.signedAny = false;
    this.now = now;
    this.urls = new Map(); // number -> { url, expiresAt } in this browser's clock
    this.busy = null;
  }

  usable(number) {
    const entry = this.urls.get(number);
    return entry && entry.expiresAt - this.now() > RENEW_MARGIN_MS ? entry.url : null;
  }

  forget(number) {
    this.urls.delete(number);
  }

  /**
   * A usable URL for part `number`. The first call signs the first batch around it; later
   * ones, when prefetch has not signed it yet, sign it with every part already hashed.
   */
  async url(number, signal) {
    for (;;) {
      const url = this.usable(number);
      if (url) return url;
      if (this.busy) {
        await this.busy.catch(() => {});
        continue;
      }
      let others = this.upcoming((this.signedAny ? this.batch.later : this.batch.first) - 1, { except: number });
      if (this.signedAny && others.filter((n) => !this.hashed(n)).length > FEW_LEFT_TO_HASH) {
        others = others.filter((n) => this.hashed(n));
      }
      await this.sign([number, ...others], signal);
      if (!this.usable(number)) throw new UploadError(`Chute did not sign part ${number}.`);
    }
  }

  /** Queued parts with no usable URL, in order, at most `limit`. */
  upcoming(limit, { except = null } = {}) {
    const numbers = [];
    for (const number of this.queue) {
      if (numbers.length >= limit) break;
      if (number !== except && !this.usable(number)) numbers.push(number);
    }
    return numbers;
  }

  /**
   * Sign in the background, with no request wasted on a small batch: once every queued part
   * is hashed (the rest of the file, in one call), or once a full batch is hashed while at
   * most one signed part is left. Otherwise the next worker signs what is hashed by then.
   */
  prefetch(signal) {
    if (this.busy || !this.signedAny) return;
    const unsigned = this.upcoming(Infinity);
    if (!unsigned.length) return;
    const hashed = unsigned.filter((number) => this.hashed(number));
    const reserve = this.queue.length - unsigned.length;
    const allHashed = hashed.length === unsigned.length;
    if (allHashed || (hashed.length >= this.batch.later && reserve <= 1)) {
      this.sign(hashed.slice(0, this.batch.later), signal).catch(() => {});
    }
  }

  /** Signed URLs ({urls, expires_at}): a batch's answer, or the declaration's first parts. */
  accept(answer) {
    this.signedAny = true;
    const received = this.now();
    for (const [number, url] of Object.entries(answer.urls)) {
      // The URL's own lifetime, counted from now, is immune to this computer's clock error.
      const lifetime = Number(new URL(url).searchParams.get("X-Amz-Expires"));
      const expiresAt = lifetime > 0 ? received + lifetime * 1000 : Date.parse(answer.expires_at);
      this.urls.set(Number(number), { url, expiresAt });
    }
  }

  sign(numbers, signal) {
    this.busy = (async () => {
      const parts = await mapWithLimit(numbers, HASHES_AT_ONCE, async (number) => ({
        number,
        sha256: await this.checksum(number),
      }));
      this.accept(await this.signBatch(parts, signal));
    })().finally(() => {
      this.busy = null;
    });
    return this.busy;
  }
}
