// The upload page's entry module: wires the file chooser, window-wide drag and drop, the
// resumable rows and the live region to transfers (transfer.js) and their rows (view.js).

import { Announcer } from "./announce.js";
import { addFileRow, watchDeletes } from "./filelist.js";
import { Client } from "./protocol.js";
import { ResumeStore, findResumable } from "./resume.js";
import { Transfer } from "./transfer.js";
import { TransferView } from "./view.js";

const DONE_ROW_KEPT_MS = 6000;

const list = document.querySelector("[data-uploader]");
const template = document.getElementById("transfer-row");
const status = document.getElementById("upload-status");
const store = new ResumeStore();
const client = new Client({
  createUrl: list?.dataset.createUrl,
  csrfToken: document.querySelector('meta[name="csrf-token"]')?.content ?? "",
});
const announcer = new Announcer((text) => {
  if (status) status.textContent = text;
});

/** The unfinished upload this file continues, taken off the "Unfinished uploads" list. */
function claimResumable(file) {
  const rows = [...document.querySelectorAll("[data-resumable]")];
  const uploads = rows.map((row) => JSON.parse(row.dataset.upload));
  const upload = findResumable(file, uploads, store);
  if (!upload) return null;
  const row = rows[uploads.indexOf(upload)];
  const section = row.closest("#resumable");
  row.remove();
  if (section && !section.querySelector("[data-resumable]")) section.hidden = true;
  return upload;
}

export function enqueue(files) {
  for (const file of files) {
    const transfer = new Transfer(file, { client, store, resumed: claimResumable(file) });
    const view = new TransferView(template, transfer);
    transfer.addEventListener("change", ({ detail }) => {
      view.render(detail);
      announcer.observe(transfer, detail);
      if (detail.state === "done") {
        addFileRow(detail.row);
        setTimeout(() => view.element.remove(), DONE_ROW_KEPT_MS);
      } else if (detail.state === "cancelled") {
        view.element.remove();
      }
    });
    list.append(view.element);
    transfer.start();
  }
}

function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

if (list) {
  store.prune();
  watchDeletes();
  const input = document.getElementById("file-input");
  // A real button opens the chooser, so keyboards reach it; the input itself stays hidden.
  document.querySelector("[data-choose-files]")?.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    enqueue(Array.from(input.files));
    input.value = "";
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
    enqueue(Array.from(event.dataTransfer.files));
  });
  // Module scripts run after the page is shown: say when drops and choices are listened to.
  list.dataset.ready = "";
}
