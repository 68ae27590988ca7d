// "Download all" on a link to several files: press each file's Download button in turn.
// Each is an ordinary form post that Chute answers with a redirect to the bucket, whose
// `attachment` answer saves the file without leaving the page; Django carries no bytes.
// The pause lets each navigation start before the next replaces it.

const PAUSE_MS = 1500;

const form = document.querySelector("[data-share-files]");
const all = form?.querySelector("[data-download-all]");

if (form && all) {
  all.hidden = false;
  all.addEventListener("click", async () => {
    if (!form.reportValidity()) return; // a password the link needs
    all.disabled = true;
    for (const button of form.querySelectorAll('button[name="file"]')) {
      form.requestSubmit(button);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
    all.disabled = false;
  });
}
