// Copy buttons beside a secret shown once (a new share link, request link or API token):
// <button data-copy="ID"> copies the value of the input with that id. Pages load this module
// (sharing.js imports it); copyHint has no DOM, for tests.

/** The fallback's words when the clipboard is refused: the copy key of this machine. */
export function copyHint({ platform = "", coarse = false } = {}) {
  if (coarse) return "Selected: copy it"; // a touch screen has no copy key
  return /Mac|iPhone|iPad|iPod/i.test(platform) ? "Press ⌘C" : "Press Ctrl+C";
}

function platformName() {
  return navigator.userAgentData?.platform || navigator.platform || "";
}

async function copy(button) {
  const input = document.getElementById(button.dataset.copy);
  if (!input) return;
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // Without the async clipboard (insecure origin, denied permission), select the text
    // so the person can copy it themselves, and name the key that does it here.
    input.focus();
    input.select();
    const coarse = matchMedia("(pointer: coarse)").matches && !matchMedia("(pointer: fine)").matches;
    button.textContent = copyHint({ platform: platformName(), coarse });
    return;
  }
  button.textContent = "Copied";
}

if (typeof document !== "undefined") {
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("[data-copy]");
    if (button) copy(button);
  });
}
