// "Download all" as one .zip: a service worker whose scope is this static folder.
//
// The landing page (download-all.js) posts a form into a hidden frame at `<scope>download`:
// the link's counted endpoint, its password, the files (ids, paths, sizes) and a job id. This
// worker answers that post itself with the zip's stream and an `attachment` disposition, so
// the browser saves it as an ordinary download while archive.js fetches each file through the
// counted endpoint. Nothing reaches Django at that address; progress goes back to the page
// on a BroadcastChannel, tagged with the job id.

import { countedEndpoint, fetchCounted, zipResponse } from "./archive.js";

const DOWNLOAD = new URL("download", self.registration.scope).href;
const channel = new BroadcastChannel("chute-zip");
const REPORT_EVERY_MS = 250; // byte counts: a few a second are enough for a progress bar

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
// The page pings while a zip streams: Firefox may stop a worker that is still feeding a
// download when no event reaches it (client-zip's README, "Known issues"; its issue #46).
self.addEventListener("message", () => {});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method === "POST" && request.url === DOWNLOAD) event.respondWith(answer(request));
});

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
