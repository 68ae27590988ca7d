// What a screen reader hears about uploads: state changes only (started, paused, done,
// failed with its sentence), never progress ticks, and at most one message a second: changes
// that come together (ten files dropped at once) are joined into one. No DOM: `write` puts
// the text into the page's polite live region.

/** The sentence for a transfer entering `state`, or "" when that change is not worth saying. */
export function announcement(snapshot) {
  const { name, state } = snapshot;
  switch (state) {
    case "uploading":
      return `Uploading ${name}.`;
    case "paused":
      return `${name} paused.`;
    case "done":
      return `${name} uploaded.`;
    case "failed":
      return `${name} failed: ${snapshot.message || "the upload failed."}`;
    case "cancelled":
      return `${name} cancelled.`;
    default:
      return "";
  }
}

export class Announcer {
  constructor(write, { intervalMs = 1000, now = Date.now, setTimer = (fn, ms) => setTimeout(fn, ms) } = {}) {
    this.write = write;
    this.intervalMs = intervalMs;
    this.now = now;
    this.setTimer = setTimer;
    this.pending = [];
    this.timer = null;
    this.lastWrite = -Infinity;
    this.states = new WeakMap(); // transfer -> the state last seen, to hear changes only
  }

  /** Note a transfer's snapshot; says something only when its state changed. */
  observe(transfer, snapshot) {
    if (this.states.get(transfer) === snapshot.state) return;
    this.states.set(transfer, snapshot.state);
    const text = announcement(snapshot);
    if (text) this.say(text);
  }

  say(text) {
    this.pending.push(text);
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - this.now());
    this.timer = this.setTimer(() => this.flush(), wait);
  }

  flush() {
    this.timer = null;
    if (!this.pending.length) return;
    this.lastWrite = this.now();
    this.write(this.pending.join(" "));
    this.pending = [];
  }
}
