// Numbers people read on the page: sizes, durations and the speed of a transfer. No DOM.

const UNITS = ["bytes", "KB", "MB", "GB", "TB"];

/** "1.5 MB": decimal units, as the server's size filter prints them. */
export function formatBytes(bytes) {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** "3 min 20 s"; "" when the time cannot be known (no speed yet). */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Speed over the last few seconds of progress samples, so the figure follows the network. */
export class Meter {
  constructor({ windowMs = 4000, now = () => performance.now() } = {}) {
    this.windowMs = windowMs;
    this.now = now;
    this.samples = [];
  }

  add(bytesDone) {
    const now = this.now();
    this.samples.push([now, bytesDone]);
    while (this.samples.length > 2 && now - this.samples[0][0] > this.windowMs) this.samples.shift();
  }

  bytesPerSecond() {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0];
    const [t1, b1] = this.samples[this.samples.length - 1];
    return t1 > t0 ? Math.max(0, ((b1 - b0) * 1000) / (t1 - t0)) : 0;
  }
}

/** The line under a file's name for a transfer snapshot (see transfer.js). */
export function describe(snapshot) {
  const { state, sent, size } = snapshot;
  switch (state) {
    case "queued":
      return "Waiting";
    case "preparing":
      return snapshot.notice || "Preparing…";
    case "uploading": {
      if (snapshot.notice) return snapshot.notice;
      const parts = [`${formatBytes(sent)} of ${formatBytes(size)}`];
      const speed = snapshot.bytesPerSecond;
      if (speed > 0) {
        parts.push(`${formatBytes(speed)}/s`);
        const left = formatDuration((size - sent) / speed);
        if (left && sent < size) parts.push(`${left} left`);
      }
      return parts.join(" · ");
    }
    case "confirming":
      return snapshot.multipart ? "Assembling…" : "Checking…";
    case "paused":
      return `Paused · ${formatBytes(sent)} of ${formatBytes(size)}`;
    case "done":
      return `Uploaded · ${formatBytes(size)}`;
    case "failed":
      return snapshot.message || "The upload failed.";
    default:
      return "";
  }
}

/** The batch's line (queue.js totals): "2 of 5 files · 3.0 MB of 9.0 MB · 1.0 MB/s · 6 s left". */
export function describeBatch(totals) {
  const { files, done, failed, size, sent, bytesPerSecond, idle } = totals;
  const parts = [`${done} of ${files} files uploaded`];
  if (failed) parts.push(`${failed} failed`);
  if (idle) return parts.concat(formatBytes(size)).join(" · ");
  parts.push(`${formatBytes(sent)} of ${formatBytes(size)}`);
  if (bytesPerSecond > 0) {
    parts.push(`${formatBytes(bytesPerSecond)}/s`);
    const left = formatDuration((size - sent) / bytesPerSecond);
    if (left && sent < size) parts.push(`${left} left`);
  }
  return parts.join(" · ");
}
