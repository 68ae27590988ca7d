"""The upload protocol, as the page speaks it: declare, send the bytes to the bucket, confirm.

Multipart files go part by part, `limits.parallel_parts` at a time, each part's SHA-256 signed
into its URL. Parts are read from the file at their offsets, so memory stays at about one part
per worker. Starting a file again (same name, size, type and modification time) continues its
unfinished upload: a part already in the bucket is skipped only when its size and the SHA-256
signed for it match the local bytes.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import httpx

from chute_client.api import Api, ChuteError, describe
from chute_client.parts import (
    CHUNK,
    MiB,
    Part,
    already_stored,
    b64sha256,
    batches,
    expected_plan,
    plan_parts,
    stored_parts,
)
from chute_client.progress import Progress, RateLimit, bar
from chute_client.retry import Action, RetryPolicy, bucket_action, s3_error_code
from chute_client.signer import Signer
from chute_client.sources import FileSource, Source

# A whole-file SHA-256 lets Chute check single uploads and `chute get` check downloads. Chute
# refuses one for multipart uploads (S3 checks those part by part), and files below S3's
# smallest part (5 MiB) always go in one request, whatever the server's threshold.
DECLARE_SHA256_UP_TO = 5 * MiB - 1
HASHING_THREADS = 2
# Parts signed by one call (Chute's limits.parts_per_request).
PARTS_PER_REQUEST = 100
# The declaration carries the first parts' checksums, about this many bytes of them (as the
# page does, static/files/uploader/plan.js): they leave as soon as their URLs come back, while
# the rest of the file is hashed, then signed in one call. A GiB costs Django three requests.
# Hashing the whole file before declaring it (two requests) kept every byte waiting: 0.46 s
# of a 7.4 s GiB here on a quiet machine, seconds under load (bench/README.md, the CLI).
FIRST_BATCH_BYTES = 256 * MiB


class Cancelled(Exception):
    """Raised in a worker when another part failed: stop sending."""


@dataclass(frozen=True)
class Uploaded:
    """One file sent: its id and name in Chute, and how much of it this run sent."""

    id: str
    name: str
    parts_sent: int
    parts_total: int
    bytes_sent: int
    seconds: float


def content_type(path: Path) -> str:
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


class Uploader:
    """Sends files to one Chute server; `report` hears a line now and then (for --verbose)."""

    def __init__(
        self,
        api: Api,
        *,
        policy: RetryPolicy | None = None,
        rate_limit: RateLimit | None = None,
        report: Callable[[str], None] = lambda line: None,
        progress: Callable[[str, int], Progress] = bar,
    ) -> None:
        self.api = api
        self.policy = policy or RetryPolicy()
        self.rate_limit = rate_limit
        self.report = report
        self.progress = progress
        self._stop = threading.Event()

    def upload(self, path: Path) -> Uploaded:
        started = time.monotonic()
        stat = path.stat()
        declaration: dict[str, Any] = {
            "name": path.name,
            "size": stat.st_size,
            "content_type": content_type(path),
            "last_modified": stat.st_mtime_ns // 1_000_000,
        }
        with path.open("rb") as file:
            source = FileSource(file, stat.st_size)
            if stat.st_size <= DECLARE_SHA256_UP_TO:
                declaration["sha256"] = source.sha256(Part(1, 0, stat.st_size))
            first = self._first_parts(source)
            if first:
                declaration["parts"] = [{"number": n, "sha256": h} for n, h in first.items()]
            issued = self.api.post("api/uploads", declaration)
            if issued.get("urls"):
                planned = (issued.get("part_size"), issued.get("part_count"))
                if planned == expected_plan(stat.st_size):
                    issued["first_checksums"] = first  # signed for the parts Chute planned
                else:
                    # Chute plans other parts here: the new upload holds checksums of parts
                    # it does not have. Start it again clean (a resume must trust them).
                    self.api.delete(issued["links"]["self"])
                    del declaration["parts"]
                    issued = self.api.post("api/uploads", declaration)
            issued["fresh"] = not issued.get("resumed")  # nothing stored yet: no parts to list
            return self.send(source, declaration, issued, started=started)

    def _first_parts(self, source: Source) -> dict[int, str]:
        """The SHA-256 of the first parts of Chute's likely plan, to declare with the file."""
        plan = expected_plan(source.size)
        if plan is None:
            return {}
        part_size = plan[0]
        first = min(PARTS_PER_REQUEST, max(1, -(-FIRST_BATCH_BYTES // part_size)))
        parts = plan_parts(source.size, *plan)[:first]
        with ThreadPoolExecutor(HASHING_THREADS) as hashers:
            hashed = hashers.map(source.sha256, parts)
            return {part.number: sha for part, sha in zip(parts, hashed, strict=True)}

    def send(
        self,
        source: Source,
        declaration: dict[str, Any],
        issued: dict[str, Any],
        *,
        started: float,
        name: str | None = None,
    ) -> Uploaded:
        """Send `source`'s bytes for the upload `issued` (new or resumed), then confirm it.

        `name` is what progress and the result show (an encrypted file's local name); Chute's
        name for the file otherwise.
        """
        label = name or issued["name"]
        progress = self.progress(label, source.size)
        try:
            if issued["method"] == "multipart":
                done, sent, total, sent_bytes = self._multipart(source, issued, progress)
            else:
                done = self._single(source, declaration, issued, progress)
                sent, total, sent_bytes = 1, 1, source.size
        finally:
            progress.close()
        return Uploaded(
            id=done["id"],
            name=name or done["name"],
            parts_sent=sent,
            parts_total=total,
            bytes_sent=sent_bytes,
            seconds=time.monotonic() - started,
        )

    # --- One request ------------------------------------------------------------------------

    def _single(
        self,
        source: Source,
        declaration: dict[str, Any],
        issued: dict[str, Any],
        progress: Progress,
    ) -> dict[str, Any]:
        size = declaration["size"]
        for attempt in range(1, self.policy.attempts + 1):
            sent = Counter(progress)
            try:
                response = self._send_single(source, issued, size, sent)
                action = bucket_action(response.status_code, response.text)
                detail = f"{response.status_code} {s3_error_code(response.text)}".strip()
            except httpx.TransportError as exc:
                action, detail = Action.RETRY, describe(exc)
            if action is Action.DONE:
                return dict(self.api.post(issued["links"]["confirm"]))
            sent.take_back()
            if action is Action.FAIL or attempt == self.policy.attempts:
                raise ChuteError(f"The bucket refused {issued['name']} ({detail}).")
            if action is Action.RESIGN:
                # Its URL expired: drop the pending upload and declare the file again.
                self.api.delete(issued["links"]["self"])
                issued = self.api.post("api/uploads", declaration)
            time.sleep(self.policy.delay(attempt))
        raise AssertionError("unreachable")

    def _send_single(
        self, source: Source, issued: dict[str, Any], size: int, sent: Counter
    ) -> httpx.Response:
        if issued["method"] == "put":
            put = issued["put"]
            headers = {**put["headers"], "Content-Length": str(size)}
            body = self._stream(source, Part(1, 0, size), sent)
            return self.api.bucket.put(put["url"], content=body, headers=headers)
        post = issued["post"]
        form_file = cast(IO[bytes], ProgressReader(source.open(), sent, self.rate_limit))
        files = {"file": (issued["name"], form_file, issued["content_type"])}
        return self.api.bucket.post(post["url"], data=post["fields"], files=files)

    # --- Multipart --------------------------------------------------------------------------

    def _multipart(
        self, source: Source, issued: dict[str, Any], progress: Progress
    ) -> tuple[dict[str, Any], int, int, int]:
        links, limits = issued["links"], issued["limits"]
        parts = plan_parts(issued["size"], issued["part_size"], issued["part_count"])
        stored: dict[int, dict[str, Any]] = {}
        if not issued.get("fresh"):  # a new upload holds no parts yet: no need to ask
            stored = stored_parts(self.api.get(links["parts"])["parts"])
        if stored:
            self.report(f"{issued['name']}: {len(stored)} parts already in the bucket")
        signer = Signer(self.api, links["parts"], limits["parts_per_request"])
        hashed: dict[int, str] = issued.get("first_checksums") or {}
        if issued.get("urls"):
            signer.add(issued["urls"], hashed, issued["expires_at"])
        etags: dict[int, str] = {}
        sent = sent_bytes = 0
        self._stop.clear()
        windows = batches(parts, limits["parts_per_request"])
        with (
            ThreadPoolExecutor(max(1, limits["parallel_parts"])) as senders,
            ThreadPoolExecutor(HASHING_THREADS) as hashers,
        ):
            hashing = [hash_once(hashers, source, part, hashed) for part in windows[0]]
            for index, window in enumerate(windows):
                send = partial(self._send_part, source, signer=signer, progress=progress)
                # Parts signed with the declaration leave at once; the rest of the window is
                # hashed meanwhile, then signed in one call.
                early = [p for p in window if p.number in hashed and p.number not in stored]
                futures = {senders.submit(send, part, hashed[part.number]): part for part in early}
                checksums = {p.number: f.result() for p, f in zip(window, hashing, strict=True)}
                todo = []
                for part in window:
                    if part in early:
                        continue
                    if already_stored(part, checksums[part.number], stored.get(part.number)):
                        etags[part.number] = stored[part.number]["etag"]
                        progress.update(part.size)
                    else:
                        todo.append(part)
                unsigned = {p.number: checksums[p.number] for p in todo if p.number not in hashed}
                if unsigned:
                    signer.sign(unsigned)
                futures.update(
                    {senders.submit(send, part, checksums[part.number]): part for part in todo}
                )
                todo += early
                # Hash the next window while this one is on the wire.
                if index + 1 < len(windows):
                    hashing = [hash_once(hashers, source, p, hashed) for p in windows[index + 1]]
                finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
                failed = [f for f in finished if f.exception()]
                if failed:
                    self._stop.set()
                    for future in futures:
                        future.cancel()
                    wait(futures)
                    raise failed[0].exception()  # type: ignore[misc]
                for future, part in futures.items():
                    etags[part.number] = future.result()
                sent += len(todo)
                sent_bytes += sum(p.size for p in todo)
        if signer.resigned:
            self.report(f"{issued['name']}: signed {signer.resigned} part URLs again")
        body = {"parts": [{"number": n, "etag": etags[n]} for n in sorted(etags)]}
        done = self.api.post(links["complete"], body)
        return dict(done), sent, len(parts), sent_bytes

    def _send_part(
        self, source: Source, part: Part, sha256: str, *, signer: Signer, progress: Progress
    ) -> str:
        """PUT one part, reading it again for every try; answers the bucket's ETag."""
        detail = ""
        action = Action.RETRY
        for attempt in range(1, self.policy.attempts + 1):
            if self._stop.is_set():
                raise Cancelled()
            data = source.read(part)
            if action is Action.REREAD:
                # The bucket saw other bytes than were hashed: hash what the file holds now.
                sha256 = b64sha256(data)
            url = signer.url(part.number, sha256)
            sent = Counter(progress)
            try:
                response = self.api.bucket.put(
                    url,
                    content=self._chunks(data, sent),
                    headers={"x-amz-checksum-sha256": sha256, "Content-Length": str(part.size)},
                )
                action = bucket_action(response.status_code, response.text)
                detail = f"{response.status_code} {s3_error_code(response.text)}".strip()
            except httpx.TransportError as exc:
                action, detail = Action.RETRY, describe(exc)
            del data
            if action is Action.DONE:
                return response.headers["ETag"].strip('"')
            sent.take_back()
            if action is Action.FAIL:
                break
            if action is Action.RESIGN:
                signer.expire(part.number)
            if attempt < self.policy.attempts:
                time.sleep(self.policy.delay(attempt))
        raise ChuteError(f"The bucket refused part {part.number} ({detail}).")

    def _chunks(self, data: bytes, sent: Counter) -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(0, len(data), CHUNK):
            if self._stop.is_set():
                raise Cancelled()
            chunk = view[start : start + CHUNK]
            if self.rate_limit:
                self.rate_limit.take(len(chunk))
            yield bytes(chunk)
            sent.add(len(chunk))

    def _stream(self, source: Source, part: Part, sent: Counter) -> Iterator[bytes]:
        for chunk in source.chunks(part):
            if self.rate_limit:
                self.rate_limit.take(len(chunk))
            yield chunk
            sent.add(len(chunk))


def hash_once(
    pool: ThreadPoolExecutor, source: Source, part: Part, hashed: dict[int, str]
) -> Future[str]:
    """The part's SHA-256: hashed before the declaration already, or now on `pool`."""
    if part.number in hashed:
        done: Future[str] = Future()
        done.set_result(hashed[part.number])
        return done
    return pool.submit(source.sha256, part)


class Counter:
    """Bytes one try has sent, so a failed try's progress can be taken back."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.count = 0

    def add(self, amount: int) -> None:
        self.count += amount
        self.progress.update(amount)

    def take_back(self) -> None:
        self.progress.update(-self.count)
        self.count = 0


class ProgressReader:
    """A file for httpx's multipart form that reports (and throttles) what is read."""

    def __init__(self, file: BinaryIO, sent: Counter, rate_limit: RateLimit | None) -> None:
        self.file = file
        self.sent = sent
        self.rate_limit = rate_limit

    def fileno(self) -> int:  # httpx measures the form's Content-Length with fstat
        return self.file.fileno()

    def tell(self) -> int:
        return self.file.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        if self.rate_limit and chunk:
            self.rate_limit.take(len(chunk))
        self.sent.add(len(chunk))
        return chunk
