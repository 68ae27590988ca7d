// "Encrypt in this browser" on the upload page: one key per batch (ece.js), each file's salt and
// meta kept in IndexedDB (uploader/keys.js) so choosing it again after a reload resumes it;
// once a batch is confirmed, its link is made at once and shown with the key in its fragment.
// Also shows, in the owner's list, the names of encrypted files whose key this browser holds.

import { encryptMeta, newKey, newSalt, toBase64Url } from "../uploader/ece.js";
import * as keys from "../uploader/keys.js";
import { SealedFile } from "../uploader/sealed.js";
import "./copy.js";
import { nameAll } from "./names.js";

const LINK_LIFETIME = 7 * 24 * 3600; // seconds; the owner can make other links from the list
const box = document.querySelector("[data-encrypt]");
const links = document.getElementById("encrypted-links");
let made = 0;

/** Whether the person asked for this batch to be encrypted. */
export function encrypting() {
  return Boolean(box?.checked);
}

/** Those of `items` this browser started encrypted and did not finish: they go on encrypted. */
export async function unfinishedEncrypted(items) {
  if (!box) return []; // a guest's page: guests upload in clear

  const kept = await Promise.all(items.map(({ file, path }) => keys.keptFile(file, path || "").catch(() => null)));
  return items.filter((_, index) => kept[index]?.uploadId);
}

/** This owner's unfinished uploads ({id: upload JSON}), or none when Chute does not answer. */
async function unfinished(client) {
  try {
    const { uploads } = await client.call("GET", box.dataset.resumableUrl);
    return new Map(uploads.map((upload) => [upload.id, upload]));
  } catch {
    return new Map();
  }
}

/**
 * `items` ([{file, path}]) with a SealedFile each: the batch's new key, or the key and salt
 * kept for a file chosen before, so its parts are made identically; and `upload`, its
 * unfinished upload to continue (Chute cannot match an encrypted file: it never sees its name).
 * A file that cannot be encrypted (a name too long for meta) comes back with `error`.
 */
export async function seal(items, client) {
  const kept = await Promise.all(items.map(({ file, path }) => keys.keptFile(file, path).catch(() => null)));
  const batchKey = kept.find(Boolean)?.ikm ?? newKey();
  const pending = kept.some((record) => record?.uploadId) ? await unfinished(client) : new Map();
  const workerUrl = box.dataset.sealWorker;
  return Promise.all(
    items.map(async ({ file, path }, index) => {
      try {
        let record = kept[index];
        if (!record) {
          const meta = await encryptMeta({ name: file.name, type: file.type, size: file.size }, batchKey);
          record = { ikm: batchKey, salt: newSalt(), meta };
          await keys.keepFile(file, path, record).catch(() => {});
        }
        const sealed = new SealedFile(file, { ...record, workerUrl });
        const upload = pending.get(record.uploadId);
        const continues = upload?.meta === record.meta && upload.size === sealed.size;
        return { file, path, sealed, record, upload: continues ? { ...upload, resumed: true } : null };
      } catch (error) {
        return { file, path, error };
      }
    }),
  );
}

/**
 * Watch a batch's encrypted transfers; once none is still on its way (done or cancelled, no
 * failure left to retry), make one link per key to the files done and show it. `say` speaks.
 */
export function watchBatch(transfers, client, say) {
  let linked = false;
  const settle = () => {
    if (linked || !transfers.every((t) => ["done", "cancelled"].includes(t.state))) return;
    linked = true;
    const byKey = new Map();
    for (const transfer of transfers.filter((t) => t.state === "done" && t.upload)) {
      const key = toBase64Url(transfer.sealed.ikm);
      byKey.set(key, [...(byKey.get(key) ?? []), transfer.upload.id]);
    }
    for (const [key, ids] of byKey) {
      client.share(box.dataset.sharesUrl, ids, { expires_in: LINK_LIFETIME }).then(
        (share) => {
          showLink(`${share.url}#${key}`, ids.length);
          say(`Link ready for ${files(ids.length)}. The key is only in this link: copy it now.`);
        },
        (error) => say(`The link to the encrypted files could not be made: ${error.message}`),
      );
    }
  };
  for (const transfer of transfers) {
    let known = transfer.upload?.id ?? null;
    transfer.addEventListener("change", ({ detail }) => {
      if (detail.uploadId && detail.uploadId !== known && detail.state !== "done") {
        // Kept at once: a reload continues this upload, and lists its name meanwhile.
        known = detail.uploadId;
        const { ikm, salt, meta } = transfer.sealed;
        keys.keepFile(transfer.file, transfer.path, { ikm, salt, meta, uploadId: known }).catch(() => {});
        keys.keepUpload(known, ikm).catch(() => {});
      }
      if (detail.state === "done" && transfer.upload) {
        keys.keepUpload(transfer.upload.id, transfer.sealed.ikm).catch(() => {});
        keys.forgetFile(transfer.file, transfer.path).catch(() => {});
      }
      settle();
    });
  }
}

/** Say, where the links show, that `file` was not sent: `error` has the sentence. */
export function refused(file, error) {
  const line = document.createElement("p");
  line.className = "error";
  line.setAttribute("role", "alert");
  line.textContent = `${file.name} was not uploaded: ${error.message}`;
  links?.prepend(line);
}

const files = (n) => `${n} encrypted file${n === 1 ? "" : "s"}`;

function showLink(url, count) {
  const id = `encrypted-link-${++made}`;
  const panel = document.createElement("div");
  panel.className = "share-created encrypted-link";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = `Link to ${files(count)}. The key is only in this link: Chute never sees it and cannot show it again; anyone with the link can open the files.`;
  const row = document.createElement("div");
  row.className = "copy-row";
  const input = document.createElement("input");
  Object.assign(input, { id, type: "text", readOnly: true, value: url });
  input.dataset.encryptedLink = "";
  const copy = document.createElement("button");
  Object.assign(copy, { type: "button", className: "button small", textContent: "Copy" });
  copy.dataset.copy = id;
  row.append(input, copy);
  panel.append(label, row);
  links.prepend(panel);
}

/** An unfinished upload's row: its id and meta, when it is encrypted. */
function unfinishedRow(row) {
  try {
    const upload = JSON.parse(row.dataset.upload);
    return upload.encrypted ? { id: upload.id, meta: upload.meta } : null;
  } catch {
    return null;
  }
}

const ROWS = "tr[data-encrypted][data-meta], li[data-resumable]";

/** A file row's or an unfinished upload's id, meta, name cell and labels; null when in clear. */
function encryptedRow(row) {
  const found = row.matches("li") ? unfinishedRow(row) : { id: row.id.replace(/^file-/, ""), meta: row.dataset.meta };
  return found && { ...found, nameNode: row.querySelector(".name"), scope: row };
}

// Show the real name of each encrypted file in the owner's lists (files, unfinished uploads)
// whose key this browser holds (names.js); the others keep Chute's label, "Encrypted file".
if (typeof document !== "undefined" && (document.getElementById("file-rows") || box)) nameAll(ROWS, encryptedRow);
