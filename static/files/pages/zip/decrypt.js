// One end-to-end encrypted file (uploader/ece.js), decrypted as it streams from the bucket and
// saved under its real name. No DOM and no service-worker globals: worker.js wires this to the
// landing page's post, tests call it directly.
//
// The first record is decrypted before the answer is made, so a wrong key or a damaged start
// saves nothing; a later damaged record, a truncated object or trailing data errors the stream,
// and the browser marks the download failed: no file with wrong bytes is left looking complete.

import { decryptingStream } from "../../uploader/ece.js";
import { attachment } from "./names.js";

/** A name safe to save: no folders, no control characters. */
export function savedName(name) {
  const cleaned = String(name)
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .split(/[/\\]+/)
    .filter((part) => part && part !== "." && part !== "..")
    .pop();
  return cleaned || "file";
}

/**
 * The decrypted file as a Response to save. `open()` resolves to the ciphertext's Response
 * (a refusal rejects, before anything is saved); `ikm` is the link's key; `name`, `type` and
 * `size` come from the file's decrypted meta. `report` hears {type: "bytes"|"done"|"error"}.
 */
export async function decryptedResponse({ open, ikm, name, type = "", size, report = () => {} }) {
  const response = await open();
  const reader = response.body.pipeThrough(decryptingStream(ikm, { size })).getReader();
  let bytes = 0;
  let reported = false;
  const counted = (controller, value) => {
    bytes += value.byteLength;
    controller.enqueue(value);
    // The decryptor checked the whole file before its last bytes: a browser that stops
    // reading at Content-Length has them all, and may never ask for the end of the stream.
    if (bytes === size && !reported) {
      reported = true;
      report({ type: "done", bytes });
    } else {
      report({ type: "bytes", bytes });
    }
  };
  const end = (controller) => {
    if (!reported) report({ type: "done", bytes });
    reported = true;
    controller.close();
  };
  let first;
  try {
    first = await reader.read(); // a wrong key or a damaged first record: nothing is saved
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error;
  }
  const body = new ReadableStream({
    start(controller) {
      if (first.done) end(controller);
      else counted(controller, first.value);
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) end(controller);
        else counted(controller, value);
      } catch (error) {
        report({ type: "error", message: error.message });
        controller.error(error);
      }
    },
    cancel(reason) {
      if (!reported) report({ type: "error", message: "The download was cancelled." });
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "application/octet-stream", // saved, never shown: `type` is the sender's word
      "Content-Disposition": attachment(savedName(name)),
      ...(Number.isSafeInteger(size) ? { "Content-Length": String(size) } : {}),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
