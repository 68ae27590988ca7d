// Hashes one file off the page's thread (hash.js sha256OfFile): receives a File, answers
// {sha256} or {error: a sentence}.

import { sha256Base64 } from "./hash.js";

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ sha256: await sha256Base64(data) });
  } catch (error) {
    self.postMessage({ error: error.message });
  }
};
