import assert from "node:assert/strict";
import test from "node:test";

import { MultipartPipeline } from "../../static/files/uploader/multipart.js";

const MiB = 1024 * 1024;

function fileOf(size) {
  return new Blob([new Uint8Array(size)]);
}

function uploadOf(size, partSize = 5 * MiB) {
  const limits = { parts_per_request: 100, parallel_parts: 2 };
  return { id: "m", method: "multipart", size, part_size: partSize, part_count: Math.ceil(size / partSize), limits };
}

function fakeClient() {
  const calls = [];
  return {
    calls,
    signParts: async (_u, parts) => ({
      urls: Object.fromEntries(parts.map((p) => [p.number, `https://b.test/?partNumber=${p.number}&X-Amz-Expires=900`])),
      expires_at: "",
    }),
    listParts: async () => (calls.push("list"), []),
    complete: async (_u, parts) => (calls.push(`complete ${parts.map((p) => p.number).join(",")}`), "<tr>row</tr>"),
  };
}

/** A report that records what the pipeline tells its transfer. */
function recorder() {
  const heard = [];
  return {
    heard,
    enter: (state) => heard.push(`enter ${state}`),
    progress: (sent) => heard.push(`progress ${sent}`),
    notice: (text) => heard.push(`notice ${text}`),
  };
}

const okXhr = (etag) => ({ getResponseHeader: () => etag });
const partOf = (url) => Number(new URL(url).searchParams.get("partNumber"));

test("the pipeline sends every part, reports to its transfer, completes and resolves to the row", async () => {
  const size = 2 * 5 * MiB + 3;
  const client = fakeClient();
  const report = recorder();
  const send = async (_m, url, body, { onProgress }) => {
    onProgress(body.size);
    return okXhr(`e${partOf(url)}`);
  };
  const parts = new MultipartPipeline({ file: fileOf(size), upload: uploadOf(size), client, report, send });
  const row = await parts.send(new AbortController().signal);
  assert.equal(row, "<tr>row</tr>");
  assert.deepEqual(client.calls, ["complete 1,2,3"], "a new upload is not asked what it holds");
  assert.equal(report.heard[0], "enter uploading");
  assert.equal(report.heard.at(-1), "enter confirming");
  assert.ok(report.heard.includes(`progress ${size}`));
});

test("a resumed pipeline asks the bucket what it holds; so does the next run of any pipeline", async () => {
  const size = 5 * MiB;
  const client = fakeClient();
  const send = async () => okXhr("e");
  const resumed = new MultipartPipeline({ file: fileOf(size), upload: uploadOf(size), client, resumed: true, report: recorder(), send });
  await resumed.send(new AbortController().signal);
  assert.deepEqual(client.calls, ["list", "complete 1"]);
  client.calls.length = 0;
  await resumed.send(new AbortController().signal);
  assert.deepEqual(client.calls, ["list", "complete 1"]);
});

test("a part whose run stopped while it waited for its hash is not sent", async () => {
  const size = 5 * MiB;
  let release;
  const hashed = new Promise((resolve) => (release = resolve));
  const hash = async () => (await hashed, "A".repeat(43) + "=");
  const sent = [];
  // Unlike protocol.js send, this fake would hang on a signal that is already aborted.
  const send = (_m, url) => (sent.push(url), new Promise(() => {}));
  const parts = new MultipartPipeline({ file: fileOf(size), upload: uploadOf(size), client: fakeClient(), report: recorder(), send, hash });
  const controller = new AbortController();
  const running = parts.send(controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  release();
  await assert.rejects(running, { name: "AbortError" });
  assert.deepEqual(sent, []);
});
