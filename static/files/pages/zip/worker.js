// "Download all" as one .zip: a service worker whose scope is this static folder.
//
// The landing page (download-all.js) posts a form into a hidden frame at `<scope>download`:
// the link's counted endpoint, its password, the files (ids, paths, sizes) and a job id. This
// worker answers that post itself with the zip's stream and an `attachment` disposition, so
// the browser saves it as an ordinary download while archive.js fetches each file through the
// counted endpoint. Nothing reaches Django at that address; progress goes back to the page
// on a BroadcastChannel, tagged with the job id.
//
// An end-to-end encrypted file is saved the same way at `<scope>decrypt` (decrypt.js): the page
// posts only a job id there; the link's key, the file and its decrypted name come by
// postMessage, so they are in no request (not even this one, which never leaves the browser)
// and are forgotten once the file starts.

import { countedEndpoint, fetchCounted, zipResponse } from "./archive.js";
import { decryptedResponse } from "./decrypt.js";

const DOWNLOAD = new URL("download", self.registration.scope).href;
const DECRYPT = new URL("decrypt", self.registration.scope).href;
const JOB_WAIT_MS = 10_000; // the page's message comes just before its post
const jobs = new Map(); // job id -> {promise, resolve}: the details of an encrypted download
const channel = new BroadcastChannel("chute-zip");
const REPORT_EVERY_MS = 250; // byte counts: a few a second are enough for a progress bar

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
// The page pings while a zip streams: Firefox may stop a worker that is still feeding a
// download when no event reaches it (client-zip's README, "Known issues"; its issue #46).
self.addEventListener("message", ({ data }) => {
  if (data?.type === "decrypt" && typeof data.job === "string") job(data.job).resolve(data);
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method === "POST" && request.url === DOWNLOAD) event.respondWith(answer(request));
  if (request.method === "POST" && request.url === DECRYPT) event.respondWith(decrypt(request));
});

function job(id) {
  if (!jobs.has(id)) {
    let resolve;
    const promise = new Promise((done) => (resolve = done));
    jobs.set(id, { promise, resolve });
    setTimeout(() => jobs.delete(id), JOB_WAIT_MS);
  }
  return jobs.get(id);
}

function reporter(id) {
  let last = 0;
  return (message) => {
    if (message.type === "bytes") {
      const now = Date.now();
      if (now - last < REPORT_EVERY_MS) return;
      last = now;
    }
    channel.postMessage({ job: id, ...message });
  };
}

async function decrypt(request) {
  const id = String((await request.formData()).get("job") || "");
  const report = reporter(id);
  try {
    const details = await Promise.race([
      job(id).promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error("The page did not say which file to save.")), JOB_WAIT_MS)),
    ]);
    jobs.delete(id);
    report({ type: "start" });
    const endpoint = countedEndpoint(String(details.download || ""), self.location.origin);
    return await decryptedResponse({
      open: () => fetchCounted(fetch, endpoint, { file: String(details.file), password: String(details.password || "") }),
      ikm: details.key,
      name: details.name,
      size: details.size,
      report,
    });
  } catch (error) {
    // Nothing was saved yet: 204 leaves the frame (and the download list) untouched.
    report({ type: "error", message: error.message });
    return new Response(null, { status: 204 });
  }
}

async function answer(request) {
  const form = await request.formData();
  const job = String(form.get("job") || "");
  let last = 0;
  const report = (message) => {
    if (message.type === "bytes") {
      const now = Date.now();
      if (now - last < REPORT_EVERY_MS) return;
      last = now;
    }
    channel.postMessage({ job, ...message });
  };
  report({ type: "start" });
  try {
    const endpoint = countedEndpoint(String(form.get("download") || ""), self.location.origin);
    const password = String(form.get("password") || "");
    const sizes = form.getAll("size");
    const paths = form.getAll("path");
    const files = form.getAll("file").map((id, index) => ({
      id: String(id),
      path: String(paths[index] || id),
      size: Number(sizes[index]),
    }));
    return await zipResponse({
      files,
      zipName: String(form.get("zip") || "files.zip"),
      open: (file) => fetchCounted(fetch, endpoint, { file: file.id, password }),
      report,
    });
  } catch (error) {
    // Nothing was saved yet: 204 leaves the frame (and the download list) untouched.
    report({ type: "error", message: error.message });
    return new Response(null, { status: 204 });
  }
}
