// Renders a transfer from its snapshots into a copy of the page's <template id="transfer-row">.
// The row is not a live region (it changes on every progress tick); announce.js speaks for it.

import { describe, formatBytes } from "../uploader/format.js";

let rows = 0; // for ids that tie each progress bar and button to its file's name

export class TransferView {
  constructor(template, transfer) {
    this.element = template.content.firstElementChild.cloneNode(true);
    const { name, size } = transfer.file;
    const nameId = `transfer-${++rows}-name`;
    const label = this.element.querySelector("[data-name]");
    label.id = nameId;
    // A file from a chosen folder shows its folders before its name, as the file list does.
    const folder = transfer.path.includes("/") ? transfer.path.slice(0, transfer.path.lastIndexOf("/") + 1) : "";
    if (folder) {
      const span = document.createElement("span");
      span.className = "transfer-folder";
      span.textContent = folder;
      label.append(span);
    }
    label.append(name);
    label.title = `${folder}${name} — ${formatBytes(size)}`;
    this.stats = this.element.querySelector("[data-stats]");
    this.bar = this.element.querySelector("progress");
    this.bar.setAttribute("aria-label", `Upload of ${name}`);
    this.buttons = {};
    for (const button of this.element.querySelectorAll("button[data-action]")) {
      // The visible word stays the name ("Cancel"); the description says which file.
      button.setAttribute("aria-describedby", nameId);
      this.buttons[button.dataset.action] = button;
    }
    this.buttons.pause.addEventListener("click", () => transfer.pause());
    this.buttons.resume.addEventListener("click", () => transfer.wait());
    this.buttons.retry.addEventListener("click", () => transfer.wait());
    this.buttons.cancel.addEventListener("click", () => transfer.cancel());
    this.render(transfer.snapshot());
  }

  render(snapshot) {
    const { state, sent, size } = snapshot;
    const focused = this.element.contains(document.activeElement) ? document.activeElement : null;
    this.element.classList.toggle("done", state === "done");
    this.element.classList.toggle("failed", state === "failed");
    this.element.classList.toggle("paused", state === "paused");
    this.element.classList.toggle("waiting", state === "queued");
    this.stats.textContent = describe(snapshot);
    this.bar.value = ["done", "confirming"].includes(state) || !size ? 100 : (100 * sent) / size;
    this.buttons.pause.hidden = !snapshot.canPause;
    this.buttons.resume.hidden = !snapshot.canResume;
    this.buttons.retry.hidden = !snapshot.canRetry;
    this.buttons.cancel.hidden = !snapshot.canCancel;
    // Pause and Resume swap places: keep a keyboard user's focus on the row's live button.
    if (focused?.hidden) {
      const next = [this.buttons.resume, this.buttons.pause, this.buttons.retry, this.buttons.cancel].find((b) => !b.hidden);
      next?.focus();
    }
  }
}
