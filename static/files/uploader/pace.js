// How many parts to keep in flight: start where the server suggests, measure, adjust. No DOM.
//
// The best number depends on the path, not on Chute: over a long, lossy path more connections
// fill the pipe; next to the bucket (bench/browser_ceiling.py: two shared cores) extra
// connections only compete. So the uploader climbs a hill: every WINDOW_MS it compares the
// bytes per second it reached with the last setting, keeps going while a step gains more than
// GAIN, and steps back (and holds for a while) when it did not. Fewer connections win a tie.

const WINDOW_MS = 2_000; // long enough to span a part's start and end at a few parts a second
const GAIN = 1.08; // a step must beat the previous rate by 8% to count as better
const HOLD_WINDOWS = 5; // after settling, how many windows before trying a step again
const FIRST_PARTS = 2; // start low, as TCP does: next to the bucket, two parts were the best

/** The pace for a server that suggests `parallel` parts in flight: start low, up to twice it. */
export function paceFor(parallel) {
  const most = 2 * Math.max(1, parallel);
  return new Pace({ start: Math.min(FIRST_PARTS, Math.max(1, parallel)), most });
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
      const next = this.target + this.direction;
      if (next >= 1 && next <= this.most) this.step(rate);
      else [this.previous, this.hold] = [null, HOLD_WINDOWS];
      return this.target;
    }
    // No better: keep the cheaper setting when the two tie, the earlier one when this is worse;
    // after a while, try a step the other way from it (or further down, when fewer won).
    const settle = rate * GAIN < beforeRate ? before : Math.min(before, this.target);
    if (settle === before) this.direction = -this.direction;
    this.target = settle;
    this.previous = null;
    this.hold = HOLD_WINDOWS;
    return this.target;
  }

  /** Move one part in `direction` from a setting measured at `rate`, within 1..most. */
  step(rate) {
    let next = this.target + this.direction;
    if (next < 1 || next > this.most) {
      this.direction = -this.direction;
      next = this.target + this.direction;
    }
    if (next < 1 || next > this.most) {
      this.hold = HOLD_WINDOWS; // one setting only: nothing to try
      return;
    }
    this.previous = { target: this.target, rate };
    this.target = next;
  }
}
