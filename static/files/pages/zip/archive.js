// One .zip of a link's files, made from the bucket's answers as they stream. No DOM and no
// service-worker globals: worker.js wires this to the page's form post, tests call it directly.
//
// client-zip writes the format (stored entries, ZIP64 when a file or the archive passes
// 4 GiB) and pulls its inputs one at a time, only as the reader of the zip asks for bytes, so
// each file is fetched (and counted as a download) when the zip reaches it, and the archive is
// never held in memory.

import { downloadZip } from "../../../vendor/client-zip-2.5.1/index.js";
import { attachment, entryNames } from "./names.js";

/** The sentence for the counted endpoint refusing a file, from the status it answered. */
export function refusal(status) {
  switch (status) {
    case 403:
      return "The password is not right.";
    case 404:
      return "This link no longer holds one of the files.";
    case 410:
      return "This link no longer works (it expired, was used up or was revoked).";
    case 429:
      return "Too many wrong passwords: wait a few minutes, then try again.";
    case 503:
      return "The files cannot be read from storage right now. Please try again later.";
    default:
      return `A file could not be fetched (the server answered ${status}).`;
  }
}

/**
 * One file's bytes through the counted endpoint, as the landing page's buttons get them: a
 * form post that Chute counts and answers with a 302 to a presigned GET, which fetch follows
 * (a 302 turns the POST into a GET, so the bucket sees a plain CORS GET). No cookies: a link
 * needs none, so a forged post gains no one's session.
 */
export async function fetchCounted(fetch, endpoint, { file, password }) {
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      body: new URLSearchParams({ file, password }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new Error("A file could not be fetched: the network or the storage bucket did not answer.");
  }
  // A refusal is Chute's own page (403, 410, …); bytes come only after a redirect.
  if (!response.ok || !response.redirected) throw new Error(refusal(response.status));
  return response;
}

/** The endpoint a form names, only when it is this origin's `/s/<token>/download`. */
export function countedEndpoint(url, origin) {
  const parsed = new URL(url, origin);
  if (parsed.origin !== origin || !/^\/s\/[^/]+\/download$/.test(parsed.pathname)) {
    throw new Error("This download does not come from a Chute link.");
  }
  return parsed.href;
}

/** `stream` unchanged, telling `count` how many bytes went through. */
function counted(stream, count) {
  return stream.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        count(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * The zip of `files` ([{id, path, size}]) as a Response to save under `zipName`.
 *
 * `open(file)` resolves to the file's Response. The first file is opened before this resolves,
 * so a refusal (a wrong password, a used-up link) rejects here, before any byte is saved;
 * later refusals error the stream. `report` hears {type: "file"|"bytes"|"done"|"error"}.
 */
export async function zipResponse({ files, zipName, open, report = () => {} }) {
  if (!files.length) throw new Error("This link holds no files to zip.");
  const names = entryNames(files.map((file) => file.path));
  const sized = files.every((file) => Number.isSafeInteger(file.size) && file.size >= 0);
  const first = await open(files[0]);
  let bytes = 0;
  const onBytes = (n) => {
    bytes += n;
    report({ type: "bytes", bytes });
  };

  async function* entries() {
    for (const [index, file] of files.entries()) {
      report({ type: "file", index, name: names[index] });
      const response = index === 0 ? first : await open(file);
      yield {
        name: names[index],
        input: counted(response.body, onBytes),
        ...(sized ? { size: file.size } : {}),
        lastModified: response.headers.get("Last-Modified") ?? undefined,
      };
    }
  }

  // Content-Length from the names and sizes (client-zip's prediction, exact when the bytes
  // match the sizes Chute confirmed from the bucket) gives the browser a real progress bar.
  const zip = downloadZip(entries(), {
    metadata: sized ? files.map((file, index) => ({ name: names[index], size: file.size })) : undefined,
  });
  const reader = zip.body.getReader();
  const body = new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          report({ type: "done", bytes });
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        report({ type: "error", message: error.message });
        controller.error(error);
      }
    },
    cancel(reason) {
      report({ type: "error", message: "The download was cancelled." });
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": attachment(zipName),
      ...(sized ? { "Content-Length": zip.headers.get("Content-Length") } : {}),
      "Cache-Control": "no-store",
    },
  });
}
