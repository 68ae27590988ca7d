// Encrypts and hashes one byte range of a file off the page's thread (sealed.js): receives
// {file, ikm, salt, start, end}, answers {body: a Blob, sha256} (a Blob passes by reference)
// or {error: a sentence}.

import { sealRange } from "./sealed.js";

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await sealRange(data.file, data, data.start, data.end));
  } catch (error) {
    self.postMessage({ error: error.message || "The file could not be read; choose it again." });
  }
};
