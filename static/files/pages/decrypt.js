// The landing page of a link to end-to-end encrypted files: the key is in the address's
// fragment (`#<22 characters>`), which browsers never send. With it, this page decrypts each
// file's name and size (its meta) and saves each file through the service worker
// (zip/worker.js and zip/decrypt.js), decrypted as it streams. The key goes to that worker by
// postMessage only: into no request, log or storage. Without a key, or with a wrong one, the
// page says so and offers no download that could only fail.

import { formatBytes } from "../uploader/format.js";
import { decryptMeta, keyFromFragment } from "../uploader/ece.js";
import { Announcer } from "./announce.js";
import { activeWorker, follow, postInto } from "./streamed.js";

const panel = document.querySelector("[data-decrypt]");
const problem = panel?.querySelector("[data-decrypt-problem]");
const announcer = new Announcer((text) => {
  const live = panel?.querySelector("[data-decrypt-status]");
  if (live) live.textContent = text;
});

function say(sentence) {
  if (!problem) return;
  problem.textContent = sentence;
  problem.hidden = false;
}

/** Each encrypted file on the page: its element, id, Download button, name and size cells. */
function entries() {
  const found = [];
  for (const element of document.querySelectorAll("[data-encrypted][data-meta]")) {
    const single = element.matches("section");
    const form = single ? element.querySelector("form") : element.closest("form");
    found.push({
      element,
      form,
      id: element.dataset.file,
      button: single ? form?.querySelector("button:not([formaction])") : element.querySelector('button[name="file"][data-name]'),
      nameNode: single ? element.querySelector(".share-name") : element.querySelector("td.name"),
      sizeNodes: single
        ? [...element.querySelectorAll(".share-facts dd")].slice(0, 1)
        : [element.querySelector("td.num"), element.querySelector("td.name .file-meta")],
    });
  }
  return found;
}

function setText(node, text) {
  if (!node) return;
  const textNode = [...node.childNodes].find((child) => child.nodeType === Node.TEXT_NODE && child.data.trim());
  if (textNode) textNode.data = text;
  else node.prepend(text);
}

function show(entry, meta) {
  entry.meta = meta;
  setText(entry.nameNode, meta.name);
  if (entry.nameNode) entry.nameNode.title = meta.name;
  for (const node of entry.sizeNodes) if (node) node.textContent = formatBytes(meta.size);
  if (entry.button) {
    entry.button.setAttribute("aria-label", `Download ${meta.name}`);
    entry.button.dataset.name = meta.name;
  }
  if (entry.element.matches("section")) document.title = `${meta.name} · shared with Chute`;
}

async function save(entry, key) {
  const { form, meta } = entry;
  if (form && !form.reportValidity()) return; // a password the link needs
  if (problem) problem.hidden = true;
  let worker;
  try {
    if (!("serviceWorker" in navigator) || !("BroadcastChannel" in window)) throw new Error("no service worker");
    worker = await activeWorker(panel.dataset.worker);
  } catch (error) {
    console.warn("Encrypted download: no service worker.", error);
    say("This browser cannot decrypt files while saving them: it allows no service worker here (a private window may not). Try another browser.");
    return;
  }
  const job = crypto.randomUUID();
  const finish = follow(worker, job, {
    onSilent: () => say(`${meta.name} did not start downloading. Please try again.`),
    onMessage: (data) => {
      if (data.type === "start") {
        announcer.say(`Decrypting ${meta.name} as it downloads.`);
      } else if (data.type === "done") {
        finish();
        announcer.say(`${meta.name} is saved.`);
      } else if (data.type === "error") {
        finish();
        say(`${meta.name} could not be saved: ${data.message} The download failed; no complete-looking file was left.`);
      }
    },
  });
  worker.postMessage({
    type: "decrypt",
    job,
    key,
    file: entry.id,
    name: meta.name,
    size: meta.size,
    download: form?.action ?? "",
    password: form?.elements.password?.value ?? "",
  });
  postInto(new URL("decrypt", new URL(".", new URL(panel.dataset.worker, location.href))).href, [["job", job]]);
}

async function main() {
  const found = entries();
  const hide = () => found.forEach((entry) => entry.button && (entry.button.hidden = true));
  // Several encrypted files make one zip of ciphertext: no "Download all" for them.
  const all = document.querySelector("[data-download-all]");
  if (all) all.dataset.encrypted = "";
  const key = keyFromFragment(location.hash);
  if (!key) {
    hide();
    say("This link has no key, so its encrypted files cannot be opened. Ask the sender for the whole link, with the part after #.");
    return;
  }
  try {
    for (const entry of found) show(entry, await decryptMeta(entry.element.dataset.meta, key));
  } catch {
    hide();
    say("The key in this link does not open these files. Ask the sender for the whole link, exactly as it was sent.");
    return;
  }
  for (const entry of found) {
    const start = (event) => {
      event.preventDefault();
      save(entry, key);
    };
    if (entry.element.matches("section")) entry.form?.addEventListener("submit", start);
    else entry.button?.addEventListener("click", start);
  }
  panel.dataset.ready = "";
}

if (panel && document.querySelector("[data-encrypted][data-meta]")) main();
