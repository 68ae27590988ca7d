// Share dialogs (templates/shares/manage.html). htmx appends the dialog to <body>; this module
// opens it as a modal, removes it once closed, sends a chosen expiry date with the browser's
// time zone, and lets htmx show the form's 400 answers (its errors). copy.js copies new links.

import "./copy.js";

function openDialogs(root) {
  const dialogs = root.matches?.("dialog[data-share-dialog]")
    ? [root]
    : [...(root.querySelectorAll?.("dialog[data-share-dialog]") ?? [])];
  for (const dialog of dialogs) {
    if (dialog.open) continue;
    dialog.addEventListener("close", () => dialog.remove(), { once: true });
    dialog.showModal();
    focusPanel(dialog);
  }
}

/** Focus the new link when there is one (to copy it), else the form's first field. */
function focusPanel(root) {
  const field = root.querySelector("[data-share-url]") ?? root.querySelector(".share-form :is(select, input:not([type=hidden]))");
  field?.focus();
}

// A form post replaces the panel, and the focused button with it: put focus back inside.
document.addEventListener("htmx:afterSwap", (event) => {
  const panel = document.getElementById("share-panel");
  if (panel && event.detail.target?.id === "share-panel") focusPanel(panel);
});

document.addEventListener("htmx:load", (event) => openDialogs(event.detail.elt));

function refusedShareForm(detail) {
  const status = detail.xhr.status;
  // "Send by email" under a new link: its refusals (400, 410, 429) are sentences to show.
  if (status >= 400 && status < 500 && detail.elt?.closest?.("[data-send-form]")) return true;
  return status === 400 && Boolean(detail.target?.closest?.("[data-share-panel]"));
}

// With DEBUG on, {% htmx_script %} adds django-htmx's debug script, which replaces the whole
// page with any 400 answer (it expects Django's error pages). A refused share form is an
// answer, not an error: stop its event on <body>, before it bubbles to that listener.
document.body.addEventListener("htmx:beforeOnLoad", (event) => {
  if (refusedShareForm(event.detail)) event.stopPropagation();
});

document.addEventListener("htmx:beforeSwap", (event) => {
  // htmx swaps only 2xx answers by default; a refused form comes back as 400 with its errors.
  if (refusedShareForm(event.detail)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("change", (event) => {
  const input = event.target.closest?.("[data-share-date]");
  if (!input) return;
  // datetime-local has no zone; send the instant the person meant, in ISO 8601 UTC.
  const hidden = input.form?.elements.namedItem("expires_at");
  const chosen = new Date(input.value);
  if (hidden) hidden.value = Number.isNaN(chosen.getTime()) ? "" : chosen.toISOString();
});
