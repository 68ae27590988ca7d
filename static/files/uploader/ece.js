// End-to-end encryption's format: RFC 8188 `aes128gcm` encrypted content coding on WebCrypto,
// exactly as docs/encryption (DESIGN.md "Encrypted uploads") and the CLI's Python code write
// it. No DOM and no worker globals: the uploader's part worker, the recipient's service worker
// and node's tests import it alike.
//
// A key is 16 random bytes (the RFC's IKM), one per batch, carried only in a link's fragment
// as base64url. Each file gets its own random 16-byte salt; the 21-byte header is
// salt | rs (uint32 BE) | idlen 0. Record i holds at most rs - 17 plaintext bytes, a delimiter
// (1, or 2 in the last record) and the 16-byte tag; every record but the last is full, so any
// byte range of the ciphertext is made on its own from the records that overlap it.

export const RECORD_SIZE = 65536;
export const HEADER_SIZE = 21;
const KEY_BYTES = 16;
const SALT_BYTES = 16;
const TAG_BYTES = 16;
const ENCODER = new TextEncoder();

/** Raised when ciphertext cannot be decrypted: a sentence a person can act on. */
export class DecryptError extends Error {
  constructor(message) {
    super(message);
    this.name = "DecryptError";
  }
}

const subtle = () => {
  if (!globalThis.crypto?.subtle) throw new DecryptError("Encryption needs a secure page (HTTPS).");
  return globalThis.crypto.subtle;
};

// ---- base64url, without padding ----

export function toBase64Url(bytes) {
  let binary = "";
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64Url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new DecryptError("This is not base64url text.");
  }
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// ---- keys ----

/** A new key (the IKM): 16 random bytes. */
export function newKey() {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/** A new salt for one file (or one meta blob): 16 random bytes. */
export function newSalt() {
  return crypto.getRandomValues(new Uint8Array(SALT_BYTES));
}

/** The key a link's fragment carries ("#<22 characters>"), or null when it holds none. */
export function keyFromFragment(hash) {
  const text = String(hash || "").replace(/^#/, "");
  if (!/^[A-Za-z0-9_-]{22}$/.test(text)) return null;
  const key = fromBase64Url(text);
  return key.length === KEY_BYTES ? key : null;
}

async function hkdf(salt, ikm, info, length) {
  const base = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle().deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: ENCODER.encode(info) }, base, length * 8);
  return new Uint8Array(bits);
}

/** The content-encryption key and nonce base for `ikm` and `salt` (RFC 8188 §2.2, §2.3). */
export async function deriveKeys(ikm, salt) {
  const cek = await hkdf(salt, ikm, "Content-Encoding: aes128gcm\0", 16);
  const nonce = await hkdf(salt, ikm, "Content-Encoding: nonce\0", 12);
  const key = await subtle().importKey("raw", cek, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { key, nonce };
}

/** Record `index`'s nonce: the base XORed with the index as a 96-bit big-endian number. */
export function recordNonce(base, index) {
  const nonce = Uint8Array.from(base);
  let rest = index;
  for (let i = 11; i >= 0 && rest > 0; i -= 1) {
    nonce[i] ^= rest % 256;
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

// ---- sizes and the header ----

/** The number of records for `plainSize` bytes. */
export function recordCount(plainSize, rs = RECORD_SIZE) {
  return Math.max(1, Math.ceil(plainSize / (rs - 17)));
}

/** The ciphertext size for `plainSize` bytes: header + plaintext + 17 per record. */
export function encryptedSize(plainSize, rs = RECORD_SIZE) {
  return HEADER_SIZE + plainSize + 17 * recordCount(plainSize, rs);
}

/** The plaintext size a ciphertext of `cipherSize` bytes holds, or -1 when none could. */
export function plainSize(cipherSize, rs = RECORD_SIZE) {
  const body = cipherSize - HEADER_SIZE;
  if (body < 17) return -1;
  const records = Math.ceil(body / rs);
  const size = body - 17 * records;
  return encryptedSize(size, rs) === cipherSize ? size : -1;
}

export function header(salt, rs = RECORD_SIZE) {
  const bytes = new Uint8Array(HEADER_SIZE);
  bytes.set(salt, 0);
  new DataView(bytes.buffer).setUint32(16, rs);
  bytes[20] = 0;
  return bytes;
}

// ---- encrypting ----

/** Record `index` of a file whose plaintext record holds `data`; `last` sets its delimiter. */
export async function encryptRecord(keys, index, data, last) {
  const padded = new Uint8Array(data.length + 1);
  padded.set(data, 0);
  padded[data.length] = last ? 2 : 1;
  const sealed = await subtle().encrypt({ name: "AES-GCM", iv: recordNonce(keys.nonce, index) }, keys.key, padded);
  return new Uint8Array(sealed);
}

/**
 * The ciphertext bytes [start, end) of `file` (a Blob: File or slice) encrypted with `ikm`
 * and `salt`: the records overlapping the range, the header when it starts before byte 21,
 * sliced. Only those records' plaintext is read, so parts are made on their own, in any
 * order, identically each time.
 */
export async function encryptRange(file, { ikm, salt, keys = null, rs = RECORD_SIZE }, start, end) {
  const total = encryptedSize(file.size, rs);
  end = Math.min(end, total);
  if (!(start >= 0 && start < end)) throw new RangeError("An empty or reversed range.");
  keys = keys ?? (await deriveKeys(ikm, salt));
  const chunk = rs - 17;
  const count = recordCount(file.size, rs);
  const out = new Uint8Array(end - start);
  let at = 0;
  if (start < HEADER_SIZE) {
    const head = header(salt, rs).subarray(start, Math.min(end, HEADER_SIZE));
    out.set(head, 0);
    at = head.length;
  }
  if (end <= HEADER_SIZE) return out;
  const first = Math.floor(Math.max(0, start - HEADER_SIZE) / rs);
  const last = Math.min(count - 1, Math.floor((end - 1 - HEADER_SIZE) / rs));
  const plain = new Uint8Array(await file.slice(first * chunk, Math.min(file.size, (last + 1) * chunk)).arrayBuffer());
  // Encrypt a few records at once: WebCrypto works off this thread.
  const sealed = new Array(last - first + 1);
  const WINDOW = 8;
  for (let from = first; from <= last; from += WINDOW) {
    const batch = [];
    for (let i = from; i <= Math.min(last, from + WINDOW - 1); i += 1) {
      const offset = (i - first) * chunk;
      const stop = Math.min(offset + chunk, plain.length);
      const isLast = i === count - 1;
      let made;
      if (stop < plain.length) {
        // The delimiter goes where the next record's first byte is, for the length of the
        // call: WebCrypto copies its input before encrypt() returns, so no record is copied here.
        const next = plain[stop];
        plain[stop] = isLast ? 2 : 1;
        made = subtle().encrypt({ name: "AES-GCM", iv: recordNonce(keys.nonce, i) }, keys.key, plain.subarray(offset, stop + 1));
        plain[stop] = next;
        made = made.then((bytes) => new Uint8Array(bytes));
      } else {
        made = encryptRecord(keys, i, plain.subarray(offset, stop), isLast);
      }
      batch.push(made.then((bytes) => (sealed[i - first] = bytes)));
    }
    await Promise.all(batch);
  }
  for (let i = first; i <= last; i += 1) {
    const recordStart = HEADER_SIZE + i * rs;
    const bytes = sealed[i - first];
    const from = Math.max(0, start - recordStart);
    const to = Math.min(bytes.length, end - recordStart);
    out.set(bytes.subarray(from, to), at);
    at += to - from;
  }
  return out;
}

/** The whole of `bytes` (a Uint8Array) encrypted with `ikm` and a fresh (or given) salt. */
export async function encryptBytes(bytes, ikm, { salt = newSalt(), rs = RECORD_SIZE } = {}) {
  const blob = new Blob([bytes]);
  return encryptRange(blob, { ikm, salt, rs }, 0, encryptedSize(bytes.length, rs));
}

// ---- decrypting ----

function unpad(record, isLast) {
  let end = record.length - 1;
  while (end >= 0 && record[end] === 0) end -= 1; // RFC 8188 padding: zeros after the delimiter
  if (end < 0) throw new DecryptError("A record of the file has no delimiter: the file is damaged.");
  const delimiter = record[end];
  if (delimiter === 2 && !isLast) throw new DecryptError("The file holds data after its end: it is damaged.");
  if (delimiter === 1 && isLast) throw new DecryptError("The file is truncated: its last part is missing.");
  if (delimiter !== 1 && delimiter !== 2) throw new DecryptError("A record of the file is damaged.");
  return record.subarray(0, end);
}

/**
 * A TransformStream from ciphertext chunks to plaintext. It errors with a DecryptError on a
 * wrong key or a damaged record (the tag fails), a truncated stream, data after the last
 * record, or, when `size` is given, a plaintext of another size.
 */
export function decryptingStream(ikm, { size = null } = {}) {
  let buffer = new Uint8Array(0);
  let keys = null;
  let rs = 0;
  let index = 0;
  let written = 0;
  let ended = false;

  const take = (n) => {
    const head = buffer.slice(0, n);
    buffer = buffer.subarray(n);
    return head;
  };
  const decryptNext = async (controller, length, isLast) => {
    if (ended) throw new DecryptError("The file holds data after its end: it is damaged.");
    const record = take(length);
    let opened;
    try {
      const iv = recordNonce(keys.nonce, index);
      opened = new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv }, keys.key, record));
    } catch {
      throw new DecryptError(
        index === 0
          ? "The file could not be decrypted: the key is wrong or the file is damaged."
          : "The file is damaged: one of its records does not decrypt.",
      );
    }
    const data = unpad(opened, isLast);
    if (opened[data.length] === 2) ended = true;
    index += 1;
    written += data.length;
    // Checked before the bytes go on: a reader that stops at the expected size has them all.
    if (size !== null && written > size) throw new DecryptError("The file is larger than it should be.");
    if (size !== null && ended && written !== size) throw new DecryptError("The file is not the size it should be.");
    if (data.length) controller.enqueue(data);
  };

  return new TransformStream({
    async transform(chunk, controller) {
      const joined = new Uint8Array(buffer.length + chunk.byteLength);
      joined.set(buffer, 0);
      joined.set(new Uint8Array(chunk.buffer ?? chunk, chunk.byteOffset ?? 0, chunk.byteLength), buffer.length);
      buffer = joined;
      if (!keys) {
        if (buffer.length < HEADER_SIZE) return;
        const idlen = buffer[20];
        if (buffer.length < HEADER_SIZE + idlen) return;
        rs = new DataView(buffer.buffer, buffer.byteOffset).getUint32(16);
        if (rs < 18) throw new DecryptError("This is not an encrypted Chute file.");
        keys = await deriveKeys(ikm, buffer.slice(0, 16));
        take(HEADER_SIZE + idlen);
      }
      // A full record is decrypted once a byte after it shows it is not the last.
      while (buffer.length > rs) await decryptNext(controller, rs, false);
    },
    async flush(controller) {
      if (!keys) throw new DecryptError("The file is truncated: it has no header.");
      if (buffer.length === 0 && index > 0 && !ended) {
        throw new DecryptError("The file is truncated: its last part is missing.");
      }
      if (buffer.length > 0) {
        if (buffer.length < TAG_BYTES + 1) throw new DecryptError("The file is truncated: its last record is cut short.");
        await decryptNext(controller, buffer.length, true);
      }
      if (!ended) throw new DecryptError("The file is truncated: its last part is missing.");
      if (size !== null && written !== size) throw new DecryptError("The file is not the size it should be.");
    },
  });
}

/** The plaintext of a whole ciphertext (`bytes`, a Uint8Array): meta blobs and tests. */
export async function decryptBytes(bytes, ikm) {
  const stream = new Blob([bytes]).stream().pipeThrough(decryptingStream(ikm));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ---- meta: name, type and plaintext size ----

export const META_LIMIT = 4096;

/** base64url of the encryption of {"name", "type", "size"}; throws a sentence when too long. */
export async function encryptMeta({ name, type, size }, ikm, { salt = newSalt() } = {}) {
  const json = ENCODER.encode(JSON.stringify({ name, type: type || "application/octet-stream", size }));
  const meta = toBase64Url(await encryptBytes(json, ikm, { salt }));
  if (meta.length > META_LIMIT) throw new DecryptError("This file's name is too long to encrypt; rename it.");
  return meta;
}

/** The {name, type, size} a meta blob holds, or a DecryptError. */
export async function decryptMeta(meta, ikm) {
  const json = JSON.parse(new TextDecoder().decode(await decryptBytes(fromBase64Url(meta), ikm)));
  if (typeof json?.name !== "string" || !Number.isSafeInteger(json?.size)) {
    throw new DecryptError("This file's description is damaged.");
  }
  return { name: json.name, type: typeof json.type === "string" ? json.type : "", size: json.size };
}
