// At most `limit` files upload at once; the rest wait, in the order they came, in the
// transfer state "queued" (the page shows "Waiting"). A paused or failed file frees its place;
// Resume and Retry put it back at the end of the line. The queue also sums up the current batch
// (the files added since it was last idle) for the page's total progress line. No DOM.

export const ACTIVE = Object.freeze(["preparing", "uploading", "confirming"]);
const SETTLED = ["done", "failed", "cancelled"];

export class UploadQueue extends EventTarget {
  constructor({ limit = 3 } = {}) {
    super();
    this.limit = Math.max(1, limit);
    this.transfers = new Set(); // every transfer not yet done or cancelled
    this.waiting = []; // queued transfers, first come first started
    this.batch = [];
    this.pumping = false;
  }

  get running() {
    let count = 0;
    for (const transfer of this.transfers) if (ACTIVE.includes(transfer.state)) count += 1;
    return count;
  }

  /** True when nothing in the batch is waiting, moving or paused. */
  get idle() {
    return this.batch.every((transfer) => SETTLED.includes(transfer.state));
  }

  add(transfer) {
    this.transfers.add(transfer);
    transfer.addEventListener("change", () => this.changed(transfer));
    this.join(transfer);
    this.pump();
    this.report();
  }

  join(transfer) {
    if (this.idle) this.batch = [];
    if (!this.batch.includes(transfer)) this.batch.push(transfer);
    if (!this.waiting.includes(transfer)) this.waiting.push(transfer);
  }

  changed(transfer) {
    if (transfer.state === "queued") this.join(transfer);
    if (["done", "cancelled"].includes(transfer.state)) this.transfers.delete(transfer);
    this.pump();
    this.report();
  }

  /** Start waiting transfers while fewer than `limit` are running. */
  pump() {
    if (this.pumping) return; // a transfer started below reports its change synchronously
    this.pumping = true;
    try {
      while (this.waiting.length && this.running < this.limit) {
        const next = this.waiting.shift();
        if (next.state === "queued") next.start();
      }
    } finally {
      this.pumping = false;
    }
  }

  report() {
    this.dispatchEvent(new CustomEvent("change", { detail: this.totals() }));
  }

  /** The batch in numbers: files, bytes sent of all, and the sum of the running speeds. */
  totals() {
    const counted = this.batch.filter((transfer) => transfer.state !== "cancelled");
    const totals = { files: counted.length, done: 0, waiting: 0, failed: 0, size: 0, sent: 0, bytesPerSecond: 0 };
    for (const transfer of counted) {
      const { state, size, sent, bytesPerSecond } = transfer.snapshot();
      totals.size += size;
      totals.sent += state === "done" ? size : sent;
      totals.bytesPerSecond += bytesPerSecond;
      if (state === "done") totals.done += 1;
      if (state === "queued") totals.waiting += 1;
      if (state === "failed") totals.failed += 1;
    }
    totals.idle = this.idle;
    return totals;
  }
}
