// Previews made in the uploader's browser (files/uploads/thumbnails.py takes them): an image
// through createImageBitmap, a video's first frame through a <video> element, scaled to fit
// EDGE px and encoded WebP (JPEG where the browser cannot) under MAX_BYTES. Sent after the file
// is confirmed; a failure never touches the upload and only leaves a note in the console.

import { send } from "../uploader/protocol.js";

const EDGE = 320;
const MAX_BYTES = 64 * 1024; // the server's limit for a thumbnail
const QUALITIES = [0.8, 0.6, 0.4, 0.25];
const VIDEO_TIMEOUT_MS = 10000;

/** Whether a thumbnail can be tried for this file at all. */
export function previewable(file) {
  return file.type.startsWith("image/") || file.type.startsWith("video/");
}

function canvasOf(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function encode(canvas, type, quality) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type, quality });
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

/** The first frame (at ~0.1 s) of a video file, as something drawImage takes. */
function videoFrame(file) {
  return new Promise((resolve, reject) => {
    const video = document.createElement("video");
    const url = URL.createObjectURL(file);
    const done = (error) => {
      clearTimeout(timer);
      URL.revokeObjectURL(url);
      if (error) reject(error);
    };
    const timer = setTimeout(() => done(new Error("the video did not seek in time")), VIDEO_TIMEOUT_MS);
    video.muted = true;
    video.preload = "auto";
    video.playsInline = true;
    video.addEventListener("loadeddata", () => {
      video.currentTime = Math.min(0.1, (video.duration || 0) / 2);
    });
    video.addEventListener("seeked", async () => {
      try {
        resolve(await createImageBitmap(video));
        done();
      } catch (error) {
        done(error);
      }
    });
    video.addEventListener("error", () => done(new Error("the browser cannot decode this video")));
    video.src = url;
  });
}

/** A WebP (or JPEG) Blob of at most MAX_BYTES showing `file`, or null when none fits. */
export async function makeThumbnail(file) {
  const source = file.type.startsWith("video/") ? await videoFrame(file) : await createImageBitmap(file);
  const scale = Math.min(1, EDGE / Math.max(source.width, source.height));
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  const canvas = canvasOf(width, height);
  canvas.getContext("2d").drawImage(source, 0, 0, width, height);
  source.close?.();
  for (const type of ["image/webp", "image/jpeg"]) {
    for (const quality of QUALITIES) {
      const blob = await encode(canvas, type, quality);
      // A browser that cannot encode WebP answers PNG instead: try JPEG then.
      if (!blob || blob.type !== type) break;
      if (blob.size <= MAX_BYTES) return blob;
    }
  }
  return null;
}

/**
 * Make and send `file`'s thumbnail for the confirmed `upload` through `client`; resolves to
 * its short-lived URL, or null. Never throws: the upload is done whatever happens here.
 */
export async function sendThumbnail(client, upload, file) {
  if (!upload?.links?.thumbnail || !previewable(file)) return null;
  try {
    const blob = await makeThumbnail(file);
    if (!blob) return null;
    const { post } = await client.thumbnail(upload, { contentType: blob.type, size: blob.size });
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append("file", blob);
    await send("POST", post.url, form);
    return (await client.confirmThumbnail(upload)).thumbnail;
  } catch (error) {
    console.info(`Chute: no thumbnail for ${file.name}: ${error.message}`);
    return null;
  }
}

/** Show `url` in the file list's row for `uploadId`, as the page would have rendered it. */
export function showThumbnail(uploadId, url) {
  const cell = document.getElementById(`file-${uploadId}`)?.querySelector("td.name");
  if (!url || !cell || cell.querySelector("img.thumb")) return;
  const img = document.createElement("img");
  Object.assign(img, { className: "thumb", alt: "", loading: "lazy", width: 40, height: 40, src: url });
  cell.prepend(img);
}
