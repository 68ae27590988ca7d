// Encrypts and hashes one byte range of a file off the page's thread (sealed.js): receives
// {file, ikm, salt, start, end}, answers {bytes, sha256} (bytes transferred, not copied) or
// {error: a sentence}.

import { sealRange } from "./sealed.js";

self.onmessage = async ({ data }) => {
  try {
    const { bytes, sha256 } = await sealRange(data.file, data, data.start, data.end);
    self.postMessage({ bytes, sha256 }, [bytes.buffer]);
  } catch (error) {
    self.postMessage({ error: error.message || "The file could not be read; choose it again." });
  }
};
