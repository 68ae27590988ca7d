"""What the cleanup still has to look at once an upload's row is gone (files/lifecycle/sweeps.py)."""

from __future__ import annotations

from django.db import models


class DeletedUpload(models.Model):
    """A deleted upload's key, kept until no URL can write under it any more.

    Written whenever an Upload row is deleted, whatever deleted it (the cleanup, an owner,
    an account's deletion cascading, the admin): its bytes, or bytes a presigned URL sends
    after the row is gone, are found by listing this one key's prefix, never the bucket.
    """

    key = models.CharField(max_length=512, db_index=True)
    sweep_after = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key} (sweep after {self.sweep_after:%Y-%m-%d %H:%M})"
