import assert from "node:assert/strict";
import test from "node:test";

import { Pace, paceFor } from "../../static/files/uploader/pace.js";

/**
 * Drive a Pace through `windows` two-second windows on a path whose speed (bytes/s) is
 * `speed(inFlight)`; answers the settings it chose, one per window.
 */
function run(pace, speed, windows) {
  let now = 0;
  let sent = 0;
  pace.now = () => now;
  const chosen = [];
  pace.sample(sent);
  for (let i = 0; i < windows; i += 1) {
    // Ten progress events a window, as XHR reports them.
    for (let tick = 0; tick < 10; tick += 1) {
      const inFlight = pace.target;
      now += 200;
      sent += (speed(inFlight) * 200) / 1000;
      pace.sample(sent);
    }
    chosen.push(pace.target);
  }
  return chosen;
}

test("climbs while more parts in flight send faster, up to the most allowed", () => {
  const pace = new Pace({ start: 2, most: 6 });
  const chosen = run(pace, (n) => n * 10e6, 12); // a long path: every connection adds 10 MB/s
  assert.equal(chosen[0], 2, "the first window only warms up");
  assert.equal(Math.max(...chosen), 6);
  assert.equal(chosen.at(-1), 6);
});

test("steps back to fewer parts when more do not send faster", () => {
  const pace = new Pace({ start: 4, most: 8 });
  const chosen = run(pace, () => 90e6, 12); // next to the bucket: the same speed at any count
  assert.ok(Math.max(...chosen) > 4, `it tried more (chose ${chosen})`);
  assert.ok(chosen.at(-1) < 4, `fewer parts for the same speed (chose ${chosen})`);
});

test("goes back when a step is clearly worse and holds there for a while", () => {
  const pace = new Pace({ start: 3, most: 6 });
  const speed = (n) => (n === 3 ? 100e6 : 60e6); // three is best; any other count is slower
  const chosen = run(pace, speed, 20);
  const away = chosen.filter((n) => n !== 3).length;
  assert.ok(away >= 2 && away <= 4, `it tries both ways now and then (chose ${chosen})`);
  chosen.forEach((n, i) => {
    if (n !== 3) assert.equal(chosen[i + 1] ?? 3, 3, `one window away at most (chose ${chosen})`);
  });
});

test("never goes below one part nor above the most allowed", () => {
  const down = run(new Pace({ start: 1, most: 1 }), () => 50e6, 10);
  assert.ok(down.every((n) => n === 1));
  const slow = run(new Pace({ start: 2, most: 3 }), (n) => 1e6 / n, 20); // fewer is faster
  assert.ok(slow.every((n) => n >= 1 && n <= 3));
  const last = slow.slice(-10);
  assert.ok(last.filter((n) => n === 1).length >= 8, `mostly one part when one is fastest (chose ${slow})`);
});

test("a page starts with what the server suggests and may go up to twice it", () => {
  assert.deepEqual([paceFor(4).target, paceFor(4).most], [4, 8]);
  assert.deepEqual([paceFor(1).target, paceFor(1).most], [1, 2]);
  assert.deepEqual([paceFor(16).target, paceFor(16).most], [16, 32]);
});

test("slow start: doubles the parts in flight every window while doubling pays", () => {
  const chosen = run(new Pace({ start: 2, most: 32 }), (n) => n * 10e6, 6); // each part adds 10 MB/s
  // A window warms up, one measures the start, then each window doubles: 2, 4, 8, 16, 32.
  assert.deepEqual(chosen.slice(0, 5), [2, 4, 8, 16, 32], `chose ${chosen}`);
});

test("after a doubling that gains nothing it goes back, then looks one part at a time", () => {
  const pace = new Pace({ start: 2, most: 16 });
  const chosen = run(pace, (n) => Math.min(n, 6) * 10e6, 60); // six parts fill the path
  assert.equal(Math.max(...chosen), 16, `it doubled up to the most allowed (chose ${chosen})`);
  assert.equal(chosen[4], 8, `16 gained nothing over 8: back to 8 (chose ${chosen})`);
  const late = chosen.slice(-20);
  assert.ok(late.filter((n) => n === 6).length >= 12, `mostly six, the fewest that fill the path (chose ${chosen})`);
  assert.ok(late.every((n) => n >= 5 && n <= 7), `then one part either way (chose ${chosen})`);
});
