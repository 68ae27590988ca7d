// Part URLs: signed in batches, one batch at a time, ahead of the parts that need them. No DOM.

import { UploadError } from "./protocol.js";

const HASHES_AT_ONCE = 2; // WebCrypto hashes off the main thread; two parts use a second core
const RENEW_MARGIN_MS = 60_000; // re-sign a URL this close to its expiry instead of using it

/**
 * Batch sizes from the server's limits. The first batch is small so the upload starts at once;
 * later ones are as large as the server signs in one call, hashed and signed in the background
 * while parts are in flight: a GiB in 16 MiB parts costs Django 4 calls (create, 8 parts, the
 * other 56, complete). Hashing a batch (~300 MB/s) stays ahead of any network's pace.
 */
export function batchSizes({ parts_per_request: perRequest, parallel_parts: parallel }) {
  return {
    first: Math.min(perRequest, Math.max(8, 2 * parallel)),
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
   * @param queue part numbers no worker has taken yet, in order (shared with the workers)
   */
  constructor({ sign, checksum, queue, limits, now = Date.now }) {
    this.signBatch = sign;
    this.checksum = checksum;
    this.queue = queue;
    this.batch = batchSizes(limits);
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

  /** A usable URL for part `number`, signing a first batch around it when needed. */
  async url(number, signal) {
    for (;;) {
      const url = this.usable(number);
      if (url) return url;
      if (this.busy) {
        await this.busy.catch(() => {});
        continue;
      }
      await this.sign([number, ...this.upcoming(this.batch.first - 1, number)], signal);
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
    const next = this.upcoming(this.batch.later);
    // Start while half a batch of signed parts is left: hashing a batch (~380 MB/s) must end
    // before the workers have sent what is left (at most a network's ~100 MB/s).
    if (ready < this.batch.later / 2 && next.length) this.sign(next, signal).catch(() => {});
  }

  sign(numbers, signal) {
    this.busy = (async () => {
      const parts = await mapWithLimit(numbers, HASHES_AT_ONCE, async (number) => ({
        number,
        sha256: await this.checksum(number),
      }));
      const answer = await this.signBatch(parts, signal);
      const received = this.now();
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
