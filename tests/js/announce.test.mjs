import assert from "node:assert/strict";
import test from "node:test";

import { Announcer, announcement } from "../../static/files/pages/announce.js";

function harness() {
  let now = 0;
  const timers = [];
  const said = [];
  const announcer = new Announcer((text) => said.push(text), {
    intervalMs: 1000,
    now: () => now,
    setTimer: (fn, ms) => timers.push({ fn, at: now + ms }),
  });
  const advance = (ms) => {
    now += ms;
    for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (timer.at <= now) timer.fn();
      else timers.push(timer);
    }
  };
  return { announcer, said, advance };
}

const snap = (state, extra = {}) => ({ name: "a.txt", state, sent: 0, size: 10, message: "", ...extra });

test("only state changes are spoken, never progress within a state", () => {
  const { announcer, said, advance } = harness();
  const transfer = {};
  announcer.observe(transfer, snap("preparing"));
  announcer.observe(transfer, snap("uploading", { sent: 1 }));
  for (let sent = 2; sent < 10; sent += 1) announcer.observe(transfer, snap("uploading", { sent }));
  advance(0);
  assert.deepEqual(said, ["Uploading a.txt."]);
  announcer.observe(transfer, snap("done", { sent: 10 }));
  advance(1000);
  assert.deepEqual(said, ["Uploading a.txt.", "a.txt uploaded."]);
});

test("a failure is spoken with its sentence", () => {
  assert.equal(announcement(snap("failed", { message: "Files may be at most 1 GB." })), "a.txt failed: Files may be at most 1 GB.");
  assert.equal(announcement(snap("paused")), "a.txt paused.");
  assert.equal(announcement(snap("confirming")), "");
});

test("changes that come together are joined, at most one message a second", () => {
  const { announcer, said, advance } = harness();
  const [one, two, three] = [{}, {}, {}];
  announcer.observe(one, snap("uploading", { name: "1" }));
  announcer.observe(two, snap("uploading", { name: "2" }));
  advance(0);
  assert.deepEqual(said, ["Uploading 1. Uploading 2."]);
  announcer.observe(three, snap("uploading", { name: "3" }));
  advance(500);
  assert.equal(said.length, 1, "a second message within a second waits");
  advance(500);
  assert.deepEqual(said, ["Uploading 1. Uploading 2.", "Uploading 3."]);
});
