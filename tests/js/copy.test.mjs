import assert from "node:assert/strict";
import { test } from "node:test";

import { copyHint } from "../../static/files/pages/copy.js";

test("the copy fallback names the key of the machine it runs on", () => {
  assert.equal(copyHint({ platform: "MacIntel" }), "Press ⌘C");
  assert.equal(copyHint({ platform: "macOS" }), "Press ⌘C");
  assert.equal(copyHint({ platform: "Win32" }), "Press Ctrl+C");
  assert.equal(copyHint({ platform: "Linux x86_64" }), "Press Ctrl+C");
  assert.equal(copyHint({ platform: "iPhone", coarse: true }), "Selected: copy it");
});
