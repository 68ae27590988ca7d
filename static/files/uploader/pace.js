// How many parts to keep in flight: start where the server suggests, measure, adjust. No DOM.
//
// The best number depends on the path, not on Chute: over a long path each connection has a
// ceiling of its own and more connections fill the pipe; next to the bucket (two shared cores
// in bench/) extra connections only compete. So the uploader climbs a hill, as TCP does: first
// it doubles the parts in flight every WINDOW_MS while doubling pays (slow start: a GiB lasts
// only a few windows on a fast path), then it tries one part more or fewer now and then, keeps
// a step that gains more than GAIN, and steps back (and holds for a while) when it did not.
// Fewer connections win a tie.

const WINDOW_MS = 2_000; // long enough to span a part's start and end at a few parts a second
const GAIN = 1.08; // a step must beat the previous rate by 8% to count as better
const HOLD_WINDOWS = 5; // after settling, how many windows before trying a step again

/**
 * The pace for a server that suggests `parallel` parts in flight: start there, up to twice it.
 * bench/network.py: far from the bucket, four 64 MiB parts hashed ahead carry 3.2 × one PUT,
 * and a page that started at two and climbed one part at a time had left most of a GiB behind
 * it before reaching four; next to the bucket two and four parts are within noise.
 */
export function paceFor(parallel) {
  const start = Math.max(1, parallel);
  return new Pace({ start, most: 2 * start });
}

export class Pace {
  /**
   * @param start parts in flight to begin with (the server's `limits.parallel_parts`)
   * @param most never more than this (at least `start`)
   * @param now a clock in milliseconds
   */
  constructor({ start, most = 2 * start, now = () => performance.now() }) {
    this.target = Math.max(1, start);
    this.most = Math.max(this.target, most);
    this.now = now;
    this.windowStart = null; // [time, bytes] the current window began at
    this.previous = null; // { target, rate } of the last completed window at another setting
    this.direction = 1; // +1: try more parts; -1: try fewer
    this.doubling = true; // slow start: double while it pays, then one part at a time
    this.hold = 2; // windows before the first step: one to warm up, one to measure the start
  }

  /**
   * Record that `sent` bytes (a running total) have gone; answers the target after any change.
   * Called on every progress event; does its arithmetic once a window.
   */
  sample(sent) {
    const time = this.now();
    if (!this.windowStart) {
      this.windowStart = [time, sent];
      return this.target;
    }
    const [startedAt, startBytes] = this.windowStart;
    if (time - startedAt < WINDOW_MS) return this.target;
    this.windowStart = [time, sent];
    const rate = (sent - startBytes) / ((time - startedAt) / 1000);
    if (this.hold > 0) {
      this.hold -= 1;
      if (this.hold === 0) this.step(rate);
      return this.target;
    }
    const { target: before, rate: beforeRate } = this.previous;
    if (rate > beforeRate * GAIN) {
      // Better: go on the same way, or stay at the bound and look again after a while.
      if (this.nextSetting() !== null) this.step(rate);
      else [this.previous, this.hold, this.doubling] = [null, HOLD_WINDOWS, false];
      return this.target;
    }
    this.doubling = false;
    // No better: keep the cheaper setting when the two tie, the earlier one when this is worse;
    // after a while, try a step the other way from it (or further down, when fewer won).
    const settle = rate * GAIN < beforeRate ? before : Math.min(before, this.target);
    if (settle === before) this.direction = -this.direction;
    this.target = settle;
    this.previous = null;
    this.hold = HOLD_WINDOWS;
    return this.target;
  }

  /** The setting to try next in `direction`: twice this one while slow start lasts (at most
   * `most`), else one part more or fewer; null at a bound. */
  nextSetting() {
    const next =
      this.doubling && this.direction > 0 ? Math.min(this.most, 2 * this.target) : this.target + this.direction;
    return next >= 1 && next <= this.most && next !== this.target ? next : null;
  }

  /** Move from a setting measured at `rate` to the next one, the other way at a bound. */
  step(rate) {
    let next = this.nextSetting();
    if (next === null) {
      this.direction = -this.direction;
      this.doubling = false;
      next = this.nextSetting();
    }
    if (next === null) {
      this.hold = HOLD_WINDOWS; // one setting only: nothing to try
      return;
    }
    this.previous = { target: this.target, rate };
    this.target = next;
  }
}
