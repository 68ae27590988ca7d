// "Download all" on a link to several files: one .zip, made in this browser as the files
// stream from the bucket (Django carries no bytes), saved as an ordinary download.
//
// zip/worker.js is a service worker whose scope is its own static folder. This page registers
// it, then posts a form into a hidden frame at an address in that scope: the worker answers
// with the zip's stream, fetching each file through the link's counted endpoint as the zip
// reaches it, and reports progress on a BroadcastChannel. Without service workers (or when
// one fails) the page says so and the per-file buttons remain, as they always do.

import { formatBytes } from "../uploader/format.js";
import { Announcer } from "./announce.js";
import { activeWorker, follow, postInto } from "./streamed.js";
import { zipName } from "./zip/names.js";

const ANNOUNCE_EVERY_MS = 5_000; // progress spoken now and then, never every tick

const form = document.querySelector("[data-share-files]");
const all = form?.querySelector("[data-download-all]");
const panel = form?.querySelector("[data-zip-progress]");
const bar = panel?.querySelector("progress");
const stats = panel?.querySelector("[data-zip-stats]");
const problem = form?.querySelector("[data-zip-problem]");
const live = form?.querySelector("[data-zip-status]");
const announcer = new Announcer((text) => {
  if (live) live.textContent = text;
});
const ONE_BY_ONE = "Download the files one by one with their buttons above.";

// aria-disabled, not disabled: a disabled button drops the keyboard focus to the page.
const busy = (on) => all.setAttribute("aria-disabled", String(on));
const files = (n) => `${n} file${n === 1 ? "" : "s"}`;

function fail(sentence) {
  if (panel) panel.hidden = true;
  if (problem) {
    problem.textContent = `${sentence} ${ONE_BY_ONE}`;
    problem.hidden = false;
  }
  busy(false);
}

/** Post the job to the worker's scope: fields it reads in zip/worker.js. */
function post(job, zipFile, entries) {
  const scope = new URL(".", new URL(all.dataset.worker, location.href));
  const fields = [
    ["job", job],
    ["download", form.action],
    ["zip", zipFile],
    ["password", form.elements.password?.value ?? ""],
  ];
  for (const entry of entries) {
    fields.push(["file", entry.id], ["path", entry.path], ["size", String(entry.size)]);
  }
  postInto(new URL("download", scope).href, fields);
}

async function downloadAll() {
  if (all.getAttribute("aria-disabled") === "true") return; // one zip at a time
  if (!form.reportValidity()) return; // a password the link needs
  // The Download buttons (data-name), not the Open ones beside them.
  const entries = [...form.querySelectorAll('button[name="file"][data-name]')].map((button) => ({
    id: button.value,
    name: button.dataset.name,
    path: button.dataset.path,
    size: Number(button.dataset.size),
  }));
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  busy(true);
  problem.hidden = true;
  bar.value = 0;
  stats.textContent = `0 of ${files(entries.length)}`;
  panel.hidden = false;

  let worker;
  try {
    worker = await activeWorker(all.dataset.worker);
  } catch (error) {
    console.warn("Download all: no service worker for the zip.", error);
    fail("This browser could not make one zip of these files.");
    return;
  }

  const job = crypto.randomUUID();
  const name = zipName(entries.map((entry) => entry.name));
  let done = 0;
  let spoken = 0;
  const finish = follow(worker, job, {
    onSilent: () => fail("The zip did not start."),
    onMessage: (data) => {
      switch (data.type) {
        case "start":
          announcer.say(`Making one zip of ${files(entries.length)}.`);
          spoken = Date.now();
          return;
        case "file":
          done = data.index;
          break;
        case "bytes":
          bar.value = total ? (100 * data.bytes) / total : 0;
          stats.textContent = `${done} of ${files(entries.length)} · ${formatBytes(data.bytes)} of ${formatBytes(total)}`;
          break;
        case "done":
          finish();
          bar.value = 100;
          stats.textContent = `${files(entries.length)} in ${name}`;
          announcer.say(`Done: ${files(entries.length)} saved in ${name}.`);
          busy(false);
          return;
        case "error":
          finish();
          fail(`The zip stopped: ${data.message}`);
          return;
        default:
          return;
      }
      if (data.type === "file") {
        stats.textContent = `${done} of ${files(entries.length)} · ${data.name}`;
      }
      if (Date.now() - spoken >= ANNOUNCE_EVERY_MS) {
        spoken = Date.now();
        announcer.say(`${done} of ${files(entries.length)} in the zip.`);
      }
    },
  });
  post(job, name, entries);
}

// A link to encrypted files (decrypt.js) zips none: its zip would hold ciphertext.
if (form && all && !form.querySelector("[data-encrypted]")) {
  if ("serviceWorker" in navigator && "BroadcastChannel" in window) {
    all.hidden = false;
    all.addEventListener("click", downloadAll);
  } else if (problem) {
    problem.textContent = `This browser cannot make one zip of these files. ${ONE_BY_ONE}`;
    problem.hidden = false;
  }
}
