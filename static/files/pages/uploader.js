// The upload page's entry module: wires the file and folder choosers, window-wide drag and drop
// (folders included), the queue (uploader/queue.js) and its total line, and the live region to
// transfers (uploader/transfer.js) and their rows (view.js).

import { describeBatch } from "../uploader/format.js";
import { sha256OfFile } from "../uploader/hash.js";
import { Client } from "../uploader/protocol.js";
import { UploadQueue } from "../uploader/queue.js";
import { Transfer } from "../uploader/transfer.js";
import { Announcer } from "./announce.js";
import { encrypting, refused, seal, unfinishedEncrypted, watchBatch as watchEncrypted } from "./encrypt.js";
import { addFileRow, markTwins, watchDeletes } from "./filelist.js";
import { sendThumbnail, showThumbnail } from "./thumbnail.js";
import { TransferView } from "./view.js";

const DONE_ROW_KEPT_MS = 6000;

const list = document.querySelector("[data-uploader]");
const template = document.getElementById("transfer-row");
const status = document.getElementById("upload-status");
const settings = list?.dataset ?? {};
const threshold = Number(settings.multipartThreshold) || Infinity;
const partSize = Number(settings.partSize) || 0;
const workerUrl = settings.hashWorker;
const client = new Client({
  createUrl: settings.createUrl,
  csrfToken: document.querySelector('meta[name="csrf-token"]')?.content ?? "",
});
const queue = new UploadQueue({ limit: Number(settings.parallelFiles) || 3 });
const announcer = new Announcer((text) => {
  if (status) status.textContent = text;
});

/** Take an unfinished upload off the "Unfinished uploads" list once Chute answers it again. */
function claimResumable(uploadId) {
  const row = document.querySelector(`[data-resumable][data-upload-id="${CSS.escape(uploadId)}"]`);
  if (!row) return;
  const section = row.closest("#resumable");
  row.remove();
  if (section && !section.querySelector("[data-resumable]")) section.hidden = true;
}

/**
 * Upload `items` ([{file, path}]: path is the file's path within a chosen folder, or ""),
 * encrypted in this browser when the person ticked "Encrypt in this browser".
 */
export async function enqueue(items) {
  // A file chosen again to resume its encrypted upload goes on encrypted, ticked or not.
  const encrypted = encrypting() ? items : await unfinishedEncrypted(items);
  const plain = items.filter((item) => !encrypted.includes(item));
  if (plain.length) start(plain);
  if (!encrypted.length) return;
  const sealed = await seal(
    encrypted.map(({ file, path = "" }) => ({ file, path })),
    client,
  );
  for (const { file, error } of sealed.filter((item) => item.error)) refused(file, error);
  const transfers = start(sealed.filter((item) => !item.error));
  if (transfers.length) watchEncrypted(transfers, client, (text) => announcer.say(text));
}

function start(items) {
  const transfers = [];
  for (const { file, path = "", sealed = null, upload = null } of items) {
    const hashFile = (f) => sha256OfFile(f, { workerUrl });
    const transfer = new Transfer(file, { client, path, threshold, partSize, sealed, upload, hashFile });
    transfers.push(transfer);
    const view = new TransferView(template, transfer);
    let previewed = false;
    transfer.addEventListener("change", ({ detail }) => {
      view.render(detail);
      announcer.observe(transfer, detail);
      if (detail.uploadId) claimResumable(detail.uploadId);
      if (detail.state === "done") {
        addFileRow(detail.row);
        // After the file is confirmed, never holding it up: the preview follows on its own.
        const upload = transfer.upload;
        if (upload && !previewed && !sealed) sendThumbnail(client, upload, file).then((url) => showThumbnail(upload.id, url));
        previewed = true;
        // What depends on the files stored (a request's "what is left") fetches itself again.
        document.body.dispatchEvent(new CustomEvent("chute:file-uploaded", { bubbles: true }));
        setTimeout(() => view.element.remove(), DONE_ROW_KEPT_MS);
      } else if (detail.state === "cancelled") {
        view.element.remove();
      }
    });
    list.append(view.element);
    queue.add(transfer);
  }
  return transfers;
}

/** The total line: redrawn at most once a frame, shown for batches of two files or more. */
function watchBatch() {
  const batch = document.getElementById("batch");
  if (!batch) return;
  const stats = batch.querySelector("[data-batch-stats]");
  const bar = batch.querySelector("progress");
  let frame = null;
  let finished = true;
  queue.addEventListener("change", ({ detail }) => {
    if (!detail.idle) finished = false;
    else if (!finished) {
      finished = true;
      // The one sentence about the whole batch a screen reader hears (never its ticks).
      if (detail.files > 1) announcer.say(`${describeBatch(detail)}.`);
    }
    if (frame !== null) return;
    frame = requestAnimationFrame(() => {
      frame = null;
      const totals = queue.totals();
      batch.hidden = totals.files < 2;
      stats.textContent = describeBatch(totals);
      bar.value = totals.size ? (100 * totals.sent) / totals.size : 0;
    });
  });
}

function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

function readEntries(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/** Every file under a dropped entry, with its path from the dropped folder ("photos/a.jpg"). */
async function walk(entry, found) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    found.push({ file, path: entry.fullPath.replace(/^\/+/, "") });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    // readEntries answers a directory in batches (Chromium: 100), then an empty one.
    for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
      for (const child of batch) await walk(child, found);
    }
  }
}

/** Files and folders in a drop. Entries are taken at once: the DataTransfer empties after the event. */
function dropped(dataTransfer) {
  const items = Array.from(dataTransfer.items ?? []).filter((item) => item.kind === "file");
  if (!items.length) return Promise.resolve(Array.from(dataTransfer.files, (file) => ({ file, path: "" })));
  const taken = items.map((item) => ({ entry: item.webkitGetAsEntry?.() ?? null, file: item.getAsFile() }));
  return (async () => {
    const found = [];
    for (const { entry, file } of taken) {
      if (entry?.isDirectory) await walk(entry, found);
      else if (file) found.push({ file, path: "" });
    }
    return found;
  })();
}

if (list) {
  watchDeletes();
  markTwins();
  watchBatch();
  const input = document.getElementById("file-input");
  const folderInput = document.getElementById("folder-input");
  // Real buttons open the choosers, so keyboards reach them; the inputs themselves stay hidden.
  // Delegated: an unfinished upload's Resume button arrives later, with its list.
  document.addEventListener("click", (event) => {
    if (event.target.closest?.("[data-choose-files]")) input.click();
    else if (event.target.closest?.("[data-choose-folder]")) folderInput?.click();
  });
  input.addEventListener("change", () => {
    enqueue(Array.from(input.files, (file) => ({ file, path: "" })));
    input.value = "";
  });
  folderInput?.addEventListener("change", () => {
    enqueue(Array.from(folderInput.files, (file) => ({ file, path: file.webkitRelativePath || "" })));
    folderInput.value = "";
  });
  // The whole window is a drop target.
  let depth = 0;
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    depth += 1;
    document.body.classList.add("dragging");
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("dragging");
  });
  window.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("dragging");
    dropped(event.dataTransfer).then(enqueue, (error) => announcer.say(`The drop could not be read: ${error.message}`));
  });
  // Module scripts run after the page is shown: say when drops and choices are listened to.
  list.dataset.ready = "";
}
