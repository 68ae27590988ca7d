// Saving a stream made in this browser as an ordinary download (zip/worker.js, a service worker
// scoped to its own static folder): register the worker, then post a form into a hidden frame
// at an address in its scope. download-all.js (one zip) and decrypt.js (an encrypted file).

const ACTIVATION_MS = 10_000; // a worker not active by then is not going to be
const ANSWER_MS = 15_000; // the worker reports "start" as soon as the post reaches it
const KEEP_ALIVE_MS = 10_000; // see zip/worker.js: Firefox stops a worker that hears nothing

/** The registration's active worker, once there is one. */
export async function activeWorker(url) {
  const registration = await navigator.serviceWorker.register(url, { type: "module" });
  const worker = registration?.active ?? registration?.waiting ?? registration?.installing;
  if (!worker) throw new Error("the browser registered no zip worker");
  if (worker.state === "activated") return worker;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the zip worker did not start")), ACTIVATION_MS);
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") {
        clearTimeout(timer);
        resolve(worker);
      } else if (worker.state === "redundant") {
        clearTimeout(timer);
        reject(new Error("the zip worker could not be installed"));
      }
    });
  });
}

/** The hidden frame the form posts into: the worker's answer saves a file and shows nothing. */
export function frame() {
  let target = document.querySelector("iframe[name=chute-zip]");
  if (!target) {
    target = document.createElement("iframe");
    target.name = "chute-zip";
    target.hidden = true;
    target.title = "Download all";
    document.body.append(target);
  }
  return target;
}

/** Post `fields` ([[name, value]]) as a form to `action`, into the hidden frame. */
export function postInto(action, fields) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  form.target = frame().name;
  form.hidden = true;
  for (const [name, value] of fields) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
  form.remove();
}

/**
 * Follow `worker`'s job `job` on the "chute-zip" channel: `onMessage(data)` for each of its
 * messages, `onSilent()` when it has not said "start" within ANSWER_MS; the worker is kept
 * alive meanwhile. Answers `finish`, which stops following (call it on "done" and "error").
 */
export function follow(worker, job, { onMessage, onSilent }) {
  const channel = new BroadcastChannel("chute-zip");
  const finish = () => {
    clearTimeout(unanswered);
    clearInterval(keepAlive);
    channel.close();
  };
  const unanswered = setTimeout(() => {
    finish();
    onSilent();
  }, ANSWER_MS);
  const keepAlive = setInterval(() => worker.postMessage("keep-alive"), KEEP_ALIVE_MS);
  channel.addEventListener("message", ({ data }) => {
    if (data.job !== job) return;
    if (data.type === "start") clearTimeout(unanswered);
    onMessage(data);
  });
  return finish;
}
