// The names of encrypted files on the owner's pages where this browser holds the file's key
// (uploader/keys.js keeps one per upload id): the file list and unfinished uploads (encrypt.js),
// the links page (links.js). Chute itself knows only its label, "Encrypted file"; an item whose
// key is not here, or whose meta does not decrypt, keeps it.

import { decryptMeta } from "../uploader/ece.js";
import * as keys from "../uploader/keys.js";

const LABEL = "Encrypted file"; // files/uploads/encrypted.py's LABEL

/** Upload `id`'s decrypted meta ({name, size, …}) from its `meta`, or null without its key. */
export async function metaOf(id, meta) {
  const ikm = await keys.uploadKey(id).catch(() => null);
  if (!ikm) return null;
  try {
    return await decryptMeta(meta, ikm);
  } catch {
    return null;
  }
}

/** Show `name` for Chute's label: `nameNode`'s text and title, and the labels in `scope`. */
export function showName(name, nameNode, scope) {
  const text = [...(nameNode?.childNodes ?? [])].find((node) => node.nodeType === Node.TEXT_NODE && node.data.trim());
  if (text) text.data = name;
  if (nameNode) nameNode.title = name;
  for (const element of scope?.querySelectorAll("[aria-label]") ?? []) {
    const label = element.getAttribute("aria-label");
    if (label.includes(LABEL)) element.setAttribute("aria-label", label.replace(LABEL, name));
  }
  for (const label of scope?.querySelectorAll("label") ?? []) {
    const words = [...label.childNodes].find((node) => node.nodeType === Node.TEXT_NODE && node.data.includes(LABEL));
    if (words) words.data = words.data.replace(LABEL, name);
  }
}

/**
 * Name every element matching `selector`, on the page now and in rows that arrive later (the
 * uploader, htmx swaps), each once. `find(element)` says {id, meta, nameNode, scope}, or null.
 */
export function nameAll(selector, find) {
  const unnamed = `${selector}:not([data-named])`;
  const run = async () => {
    for (const element of document.querySelectorAll(unnamed)) {
      element.dataset.named = "";
      const found = find(element);
      const meta = found && (await metaOf(found.id, found.meta));
      if (meta) showName(meta.name, found.nameNode, found.scope);
    }
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      run();
    });
  }).observe(document.body, { childList: true, subtree: true });
  return run();
}
