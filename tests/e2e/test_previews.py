"""Previews in real Chromium: thumbnails made in the page for a PNG and a video, shown from
the bucket in the file list (under the CSP), and "Open" showing a PNG inline."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from playwright.sync_api import Page, expect

from files.models import Upload

# A few seconds of frames drawn on a canvas and recorded by the browser itself (no ffmpeg on
# these machines): MP4 where Chromium's MediaRecorder writes it (Chromium 126+), else WebM.
RECORD_VIDEO = """async () => {
  const types = ["video/mp4;codecs=avc1", "video/mp4;codecs=vp9", "video/mp4",
                 "video/webm;codecs=vp8", "video/webm"];
  const mimeType = types.find((type) => MediaRecorder.isTypeSupported(type));
  const canvas = Object.assign(document.createElement("canvas"), { width: 160, height: 120 });
  const context = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType });
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start();
  for (let frame = 0; frame < 20; frame += 1) {
    context.fillStyle = `hsl(${frame * 18}, 80%, 50%)`;
    context.fillRect(0, 0, 160, 120);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  return { type: mimeType.split(";")[0], bytes: Array.from(bytes) };
}"""


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xd0\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def loaded_width(page: Page, name: str) -> None:
    """Wait until the row of `name` shows a thumbnail the browser decoded (naturalWidth > 0)."""
    thumb = page.locator("#file-rows tr", has_text=name).locator("img.thumb")
    expect(thumb).to_have_count(1, timeout=30_000)
    thumb.scroll_into_view_if_needed()  # loading="lazy"
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )


def test_uploaded_png_and_video_get_thumbnails_and_a_png_opens_inline(
    signed_in_page: Page, user, tmp_path: Path
):
    page = signed_in_page
    page.goto("/")
    recorded = page.evaluate(RECORD_VIDEO)
    video = tmp_path / ("clip.mp4" if recorded["type"] == "video/mp4" else "clip.webm")
    video.write_bytes(bytes(recorded["bytes"]))
    picture = tmp_path / "dot.png"
    picture.write_bytes(png(640, 480))

    page.locator("[data-uploader][data-ready]").wait_for(state="attached")
    page.set_input_files("#file-input", [str(picture), str(video)])

    # Shown in the rows as soon as they are confirmed, with no reload.
    loaded_width(page, "dot.png")
    loaded_width(page, video.name)
    for name in ("dot.png", video.name):
        upload = Upload.objects.get(owner=user, name=name)
        assert upload.thumbnail.name.endswith(".thumb")
        assert upload.thumbnail_type in {"image/webp", "image/jpeg"}
        assert 0 < upload.thumbnail_size <= 64 * 1024

    # And from the server's page: signed GETs the CSP's img-src lets through.
    page.reload()
    loaded_width(page, "dot.png")
    loaded_width(page, video.name)

    # "Open" shows the PNG in the browser itself.
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open dot.png").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert "response-content-disposition=inline" in viewer.url
    assert viewer.evaluate("document.contentType") == "image/png"
