// The "Your files" list: new rows from the uploader, a count that follows deletes, and files
// of the same name told apart.

function countElement() {
  return document.querySelector("#file-list .count");
}

function changeCount(delta) {
  const count = countElement();
  if (count) count.textContent = String(Math.max(0, Number(count.textContent) + delta));
  return count ? Number(count.textContent) : null;
}

/**
 * Put a confirmed file's row (HTML from confirm/complete) at the top of the list. The table is
 * on the page even when the list is empty (hidden), so files finishing together, in any order,
 * are each added once here and nothing is fetched again.
 */
export function addFileRow(html) {
  const rows = document.getElementById("file-rows");
  if (!rows) return; // no list on this page
  const parsed = document.createElement("template");
  parsed.innerHTML = html.trim();
  const row = parsed.content.firstElementChild;
  // A list fetched again meanwhile (after a delete emptied it) may hold it already.
  if (!row || (row.id && document.getElementById(row.id))) return;
  rows.prepend(row);
  window.htmx?.process(row);
  rows.closest("table").hidden = false;
  const shareSelected = document.getElementById("share-selected");
  if (shareSelected) shareSelected.hidden = false;
  const empty = document.getElementById("file-rows-empty");
  if (empty) empty.hidden = true;
  changeCount(+1);
  markTwinRows();
}

/**
 * Rows whose file has the same folder and name as another's get the class "twin", which shows
 * the seconds of their upload time (chute.css): four uploads of hello.txt can be told apart
 * while a list of distinct names stays as calm as before.
 */
function markTwinRows() {
  const rows = [...document.querySelectorAll("#file-rows tr[data-path]")];
  const counts = new Map();
  for (const row of rows) counts.set(row.dataset.path, (counts.get(row.dataset.path) ?? 0) + 1);
  for (const row of rows) row.classList.toggle("twin", counts.get(row.dataset.path) > 1);
}

/** Mark twins now, and again whenever htmx brings the list (a page, a refetch) or drops a row. */
export function markTwins() {
  markTwinRows();
  document.addEventListener("htmx:load", markTwinRows);
  document.addEventListener("htmx:afterSettle", markTwinRows);
}

/** Count a deleted file out; fetch the list again once it is empty (its empty state, the page). */
export function watchDeletes() {
  document.addEventListener("htmx:afterRequest", (event) => {
    const { elt, successful, requestConfig } = event.detail;
    if (!successful || requestConfig?.verb !== "delete" || !elt.closest?.("#file-rows")) return;
    if (changeCount(-1) === 0) {
      document.body.dispatchEvent(new CustomEvent("chute:files-changed", { bubbles: true }));
    }
  });
}
