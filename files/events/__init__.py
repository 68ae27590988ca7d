"""The event outbox: record what happened in the transaction that made it happen.

- `record.py`: `file_ready` (an upload became READY: `file.ready`, plus `request.received`
  when it came through an upload request) and `share_downloaded` (a counted download). Each
  writes `Event` rows in the caller's transaction and, once that commits, sends `recorded`.
- `recorded`: a signal (keyword `events`, the new rows' ids). The app glue (files/apps.py)
  connects files/tasks/events.py's `on_recorded` to it (one task runs the webhooks'
  dispatcher and the notifications' collector), so this package and those that record events
  never import the task queue; periodic sweeps pick up whatever a lost signal left.
- `registered`: a signal (keyword `upload`), once per file that became READY, after the
  commit: whichever path confirmed it (the page, the CLI, a guest, Uppy, the cleanup). The app
  glue connects the web layer's metrics to it, so no path can forget to count a file.

`data` holds ids and names (file, request, share, counts), never a URL or a token.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that wrote events commits: `events=[<Event id>, …]`.
recorded = Signal()
# Sent after the transaction that made a file READY commits: `upload=<the Upload>`.
registered = Signal()
