import assert from "node:assert/strict";
import test from "node:test";

import { Meter, describe, formatBytes, formatDuration } from "../../static/files/uploader/format.js";

test("sizes use decimal units with one decimal, bytes as a whole number", () => {
  assert.equal(formatBytes(0), "0 bytes");
  assert.equal(formatBytes(999), "999 bytes");
  assert.equal(formatBytes(1000), "1.0 KB");
  assert.equal(formatBytes(300_000), "300.0 KB");
  assert.equal(formatBytes(1_500_000), "1.5 MB");
  assert.equal(formatBytes(2.5e12), "2.5 TB");
  assert.equal(formatBytes(5e15), "5000.0 TB");
});

test("durations read as seconds, minutes or hours, and unknown ones as nothing", () => {
  assert.equal(formatDuration(0.2), "1 s");
  assert.equal(formatDuration(59), "59 s");
  assert.equal(formatDuration(200), "3 min 20 s");
  assert.equal(formatDuration(7260), "2 h 1 min");
  assert.equal(formatDuration(Infinity), "");
  assert.equal(formatDuration(NaN), "");
});

test("the meter measures speed over its window only", () => {
  let now = 0;
  const meter = new Meter({ windowMs: 4000, now: () => now });
  assert.equal(meter.bytesPerSecond(), 0);
  meter.add(0);
  now = 1000;
  meter.add(1_000_000);
  assert.equal(meter.bytesPerSecond(), 1_000_000);
  // A slow stretch: after the window the early fast second no longer counts.
  for (let second = 2; second <= 10; second += 1) {
    now = second * 1000;
    meter.add(1_000_000 + (second - 1) * 1000);
  }
  assert.ok(meter.bytesPerSecond() < 2000, String(meter.bytesPerSecond()));
});

test("a snapshot reads as progress, speed and time left, or as its state", () => {
  const base = { name: "a.bin", size: 10_000_000, sent: 5_000_000, bytesPerSecond: 1_000_000, notice: "", message: "" };
  assert.equal(describe({ ...base, state: "uploading" }), "5.0 MB of 10.0 MB · 1.0 MB/s · 5 s left");
  assert.equal(describe({ ...base, state: "uploading", bytesPerSecond: 0 }), "5.0 MB of 10.0 MB");
  assert.equal(describe({ ...base, state: "uploading", notice: "Part 2 failed; retrying…" }), "Part 2 failed; retrying…");
  assert.equal(describe({ ...base, state: "paused" }), "Paused · 5.0 MB of 10.0 MB");
  assert.equal(describe({ ...base, state: "done" }), "Uploaded · 10.0 MB");
  assert.equal(describe({ ...base, state: "failed", message: "Too large." }), "Too large.");
  assert.equal(describe({ ...base, state: "confirming", multipart: true }), "Assembling…");
  assert.equal(describe({ ...base, state: "confirming", multipart: false }), "Checking…");
});
