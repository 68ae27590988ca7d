// The links page (templates/shares/links.html): Copy buttons (copy.js), and htmx shows a
// refused expiry form's answer (400 or 409, the row with its sentence) in place of the row, and a
// refused "Send by email" form's sentence (400, 410, 429) under the form. Encrypted files show
// their names where this browser holds their keys (names.js), as the owner's file list does.

import "./copy.js";
import { nameAll } from "./names.js";

nameAll("li[data-encrypted][data-meta][data-file]", (item) => ({
  id: item.dataset.file,
  meta: item.dataset.meta,
  nameNode: item,
  scope: item.closest("tr"),
}));

function refusedLinkForm(detail) {
  const status = detail.xhr.status;
  if (status >= 400 && status < 500 && detail.elt?.closest?.("[data-send-form]")) return true;
  return (status === 400 || status === 409) && Boolean(detail.elt?.closest?.("[data-link-form]"));
}

// With DEBUG on, django-htmx's debug script replaces the page with any 4xx answer: a refused
// form is an answer, not an error, so stop its event before it reaches that listener.
document.body.addEventListener("htmx:beforeOnLoad", (event) => {
  if (refusedLinkForm(event.detail)) event.stopPropagation();
});

document.addEventListener("htmx:beforeSwap", (event) => {
  if (refusedLinkForm(event.detail)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
