// Names in and of the zip: its entries' paths and the file it is saved as. No DOM; the page
// and the service worker both use these.

/** Entry names safe to extract: folders kept, no "..", no absolute paths, no duplicates. */
export function entryNames(paths) {
  const taken = new Set();
  return paths.map((path) => {
    const parts = String(path)
      .split(/[/\\]+/)
      .filter((part) => part && part !== "." && part !== "..");
    const name = parts.join("/") || "file";
    let unique = name;
    // Case-insensitive: "A.txt" and "a.txt" are one file on macOS and Windows.
    for (let n = 2; taken.has(unique.toLowerCase()); n += 1) {
      const dot = name.lastIndexOf(".");
      const cut = dot > name.lastIndexOf("/") + 1 ? dot : name.length;
      unique = `${name.slice(0, cut)} (${n})${name.slice(cut)}`;
    }
    taken.add(unique.toLowerCase());
    return unique;
  });
}

/**
 * The zip's file name, from the files the page lists ("a.txt and 2 more.zip", as links are
 * named), never from the link's stored name, which may name a file deleted since.
 */
export function zipName(names) {
  const [first = "files"] = names;
  return names.length > 1 ? `${first} and ${names.length - 1} more.zip` : `${first}.zip`;
}

/** A Content-Disposition that saves `name` (RFC 6266: an ASCII fallback and the UTF-8 name). */
export function attachment(name) {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
