// When and how a failed request is tried again. No DOM.

export const MAX_PART_ATTEMPTS = 6; // the first try and five retries
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so clients spread. */
export function backoffDelay(attempt, { base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export function aborted() {
  return new DOMException("Cancelled", "AbortError");
}

/** Resolve after `ms`, or reject with an AbortError as soon as `signal` aborts. */
export function sleep(ms, signal) {
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

/**
 * What to do about a part PUT that failed: "resign" (the bucket refused its signature, usually
 * because the URL expired), "reread" (the body arrived damaged: hash the part again and sign
 * the new checksum), "retry" (network, throttling, 5xx) or "fatal".
 */
export function partRecovery(error) {
  if (error.bucket && error.status === 403) return "resign";
  if (error.code === "BadDigest") return "reread";
  return error.retryable ? "retry" : "fatal";
}
