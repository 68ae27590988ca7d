// Chute's part plan (files/uploads/policy.py part_plan), so the page can hash the first parts
// before it declares the file and get their URLs with the declaration ("create and sign in one
// call"). The server's answer stays the authority: a different plan costs a fresh declaration.

const MiB = 1024 * 1024;
const MIN_PART = 5 * MiB;
const MAX_PART = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const FEWEST_PARTS = 8;
// About the first batch the signer would ask for (signer.js FIRST_BATCH_BYTES), at most 100.
const FIRST_BYTES = 256 * MiB;
const PER_REQUEST = 100;

const wholeMiB = (n) => Math.ceil(n / MiB) * MiB;

/** { partSize, partCount } Chute plans for `size` bytes with CHUTE_PART_SIZE = `configured`. */
export function expectedPlan(size, configured) {
  let partSize = Math.min(Math.max(configured, MIN_PART), MAX_PART);
  partSize = Math.min(partSize, Math.max(MIN_PART, wholeMiB(Math.ceil(size / FEWEST_PARTS))));
  if (size > partSize * MAX_PARTS) partSize = wholeMiB(Math.ceil(size / MAX_PARTS));
  return { partSize, partCount: Math.ceil(size / partSize) };
}

/** How many first parts to hash before declaring: the signer's first batch. */
export function firstPartCount({ partSize, partCount }) {
  return Math.min(PER_REQUEST, partCount, Math.max(1, Math.ceil(FIRST_BYTES / partSize)));
}
