import assert from "node:assert/strict";
import test from "node:test";

import { Client, UploadError, bucketError } from "../../static/files/uploader/protocol.js";

const upload = {
  id: "u1",
  links: { self: "/x/self", confirm: "/x/confirm", parts: "/x/parts", complete: "/x/complete" },
};

function fakeFetch(answer) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, ...init });
    const { status = 200, body = {}, text } = typeof answer === "function" ? answer(url, init) : answer;
    return {
      status,
      ok: status >= 200 && status < 300,
      json: async () => (text !== undefined ? JSON.parse(text) : body),
      text: async () => text ?? JSON.stringify(body),
    };
  };
  return { fetch, calls };
}

test("every call goes where the server's links say, with the CSRF token", async () => {
  const { fetch, calls } = fakeFetch({ status: 200, body: { parts: [], urls: {} }, text: undefined });
  const client = new Client({ createUrl: "/create/here", csrfToken: "tok", fetch });
  await client.create({ name: "a.txt", size: 3, type: "" });
  await client.signParts(upload, [{ number: 1, sha256: "x" }]);
  await client.listParts(upload);
  await client.remove(upload);
  assert.deepEqual(
    calls.map((call) => `${call.method} ${call.url}`),
    ["POST /create/here", "POST /x/parts", "GET /x/parts", "DELETE /x/self"],
  );
  assert.ok(calls.every((call) => call.headers["X-CSRFToken"] === "tok"));
  assert.deepEqual(JSON.parse(calls[0].body), { name: "a.txt", size: 3, content_type: "application/octet-stream" });
});

test("confirm and complete ask for the row as HTML", async () => {
  const { fetch, calls } = fakeFetch({ status: 200, text: "<tr></tr>" });
  const client = new Client({ createUrl: "/c", fetch });
  assert.equal(await client.confirm(upload), "<tr></tr>");
  assert.equal(await client.complete(upload, [{ number: 1, etag: "e" }]), "<tr></tr>");
  assert.deepEqual(calls.map((call) => call.url), ["/x/confirm", "/x/complete"]);
  assert.ok(calls.every((call) => call.headers["HX-Request"] === "true"));
});

test("a refusal carries the server's sentence and code; only 5xx and 429 are retryable", async () => {
  const refuse = (status) =>
    new Client({ createUrl: "/c", fetch: fakeFetch({ status, body: { error: "too_large", message: "Files may be at most 1 GB." } }).fetch });
  const refused = await refuse(413).create({ name: "a", size: 1 }).catch((error) => error);
  assert.ok(refused instanceof UploadError);
  assert.equal(refused.message, "Files may be at most 1 GB.");
  assert.equal(refused.code, "too_large");
  assert.equal(refused.status, 413);
  assert.equal(refused.retryable, false);
  assert.equal((await refuse(503).create({ name: "a", size: 1 }).catch((e) => e)).retryable, true);
  assert.equal((await refuse(429).create({ name: "a", size: 1 }).catch((e) => e)).retryable, true);
});

test("an answer that is not JSON keeps a sentence with its status; no network is retryable", async () => {
  const html = new Client({ createUrl: "/c", fetch: fakeFetch({ status: 502, text: "<html>" }).fetch });
  assert.equal((await html.create({ name: "a", size: 1 }).catch((e) => e)).message, "Chute answered 502.");
  const offline = new Client({ createUrl: "/c", fetch: async () => { throw new TypeError("Failed to fetch"); } });
  const error = await offline.create({ name: "a", size: 1 }).catch((e) => e);
  assert.equal(error.message, "Chute could not be reached. Check your connection.");
  assert.equal(error.retryable, true);
});

test("the bucket's XML codes become sentences; BadDigest and 5xx are worth sending again", () => {
  const expired = bucketError(403, "<Error><Code>AccessDenied</Code></Error>");
  assert.equal(expired.message, "Storage refused the upload (the link may have expired).");
  assert.equal(expired.bucket, true);
  assert.equal(expired.retryable, false);
  assert.equal(bucketError(400, "<Error><Code>BadDigest</Code></Error>").retryable, true);
  assert.equal(bucketError(503, "").retryable, true);
  assert.equal(bucketError(418, "<Code>Teapot</Code>").message, "Storage answered 418 (Teapot).");
});
