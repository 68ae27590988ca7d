"""Chute's tables: files, links, upload requests, tokens and throttles.

Declarations with a few small state helpers and no other logic. The first tables live here;
a later domain's tables get a module of their own in this package, imported at the end of this
file so that Django registers them (`from files.models.<module> import *`-style names are
re-exported here, so callers always write `from files.models import X`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class Upload(models.Model):
    """One file: issued as PENDING, READY once the bucket confirmed its bytes."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        ABORTED = "aborted", "Aborted"

    class Method(models.TextChoices):
        POST = "post", "Presigned POST"
        PUT = "put", "Presigned PUT"
        MULTIPART = "multipart", "Multipart"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    # Chosen by the server; the client's file name never reaches it.
    key = models.CharField(max_length=512, unique=True)
    # The confirmed object once the upload is READY, on the S3 storage: `key` for multipart
    # uploads, a copy at a key no upload URL can write for POST/PUT (files/uploads/confirm.py).
    file = models.FileField(max_length=512, blank=True)
    name = models.CharField(max_length=255, help_text="Sanitised display name.")
    # The folders the file was chosen in ("photos/2024"), sanitised, for display only.
    folder = models.CharField(max_length=500, blank=True, default="")
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="Base64 SHA-256 the client declared (optional)."
    )
    # The upload request (if any) through which a guest sent this file, and the name they gave.
    request = models.ForeignKey(
        "UploadRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
    )
    sender_name = models.CharField(max_length=100, blank=True)
    # SHA-256 of the guest's own secret (kept in their session): the only uploads of a request
    # a guest may continue, confirm or cancel are those carrying it.
    guest_key = models.CharField(max_length=64, blank=True)
    # The file's modification time the client declared (ms since the epoch): with name and
    # size, it recognises the same file when any client starts it again, to resume.
    last_modified = models.BigIntegerField(null=True, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )

    # Multipart state.
    multipart_upload_id = models.CharField(max_length=1024, blank=True)
    part_size = models.PositiveBigIntegerField(null=True, blank=True)
    part_count = models.PositiveIntegerField(null=True, blank=True)
    # SHA-256 (base64) signed into each part URL, by part number: S3-compatible stores
    # may omit them from ListParts, and CompleteMultipartUpload needs them.
    part_checksums = models.JSONField(default=dict, blank=True)
    # Part numbers signed again with a different SHA-256: which copy the bucket holds is then
    # unknown (SeaweedFS's ListParts names no checksum), so a resuming client must resend them.
    resigned_parts = models.JSONField(default=dict, blank=True)

    # Which protocol started the upload: Chute's own (the page, the CLI, scripts) or Uppy's
    # Companion S3 routes (files/uploads/uppy.py), whose parts carry no checksum.
    class Via(models.TextChoices):
        CHUTE = "", "Chute API"
        UPPY = "uppy", "Uppy (Companion S3 routes)"

    via = models.CharField(max_length=16, choices=Via.choices, default=Via.CHUTE, blank=True)
    # False when the client did not declare the size: `size` is then the space reserved
    # (the most the upload may hold) until the bucket says how much landed.
    size_declared = models.BooleanField(default=True)

    # End-to-end encrypted (RFC 8188 aes128gcm, docs/security.md): `size` counts ciphertext
    # bytes, `name` is a neutral label, and `meta` is the client's opaque base64url blob
    # holding the real name, type and size, which only holders of the link's key can read.
    encrypted = models.BooleanField(default=False)
    meta = models.TextField(blank=True, default="", max_length=4096)

    # What the bucket reported on confirm.
    etag = models.CharField(max_length=128, blank=True)
    checksum_sha256 = models.CharField(max_length=128, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(help_text="When the issued upload URLs stop working.")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    # A small preview the uploader's browser made (files/uploads/thumbnails.py): `thumbnail`
    # is set once confirmed; type and size are what the last thumbnail POST pinned.
    thumbnail = models.FileField(max_length=520, blank=True)
    thumbnail_type = models.CharField(max_length=16, blank=True)
    thumbnail_size = models.PositiveIntegerField(null=True, blank=True)
    # When the cleanup next looks at what the bucket holds under this upload's key (a presigned
    # URL may have written there after confirm, a confirm's copy may be unregistered): set when
    # a URL is issued, cleared once nothing more can appear (files/lifecycle/sweeps.py).
    sweep_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The cleanup's work: only the uploads that could still leave bytes behind.
            models.Index(
                fields=["sweep_after"],
                name="upload_sweep_idx",
                condition=models.Q(sweep_after__isnull=False),
            ),
            # Unfinished uploads, newest first (resume, quotas, cleanup).
            models.Index(fields=["owner", "status", "-created_at"]),
            # The file list: a user's READY files, newest confirmed first.
            models.Index(fields=["owner", "status", "-confirmed_at", "-created_at"]),
            # The cleanup asks which listed objects are a row's confirmed file.
            models.Index(fields=["file"], name="upload_confirmed_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def path(self) -> str:
        """The name with the folders it was chosen in: "photos/2024/a.jpg"."""
        return f"{self.folder}/{self.name}" if self.folder else self.name

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY


class Share(models.Model):
    """A public link to one file: expiring, optionally counted and password-protected.

    The token itself is never stored, only its SHA-256, so a copy of this table cannot be
    turned back into working links.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # SET_NULL, not CASCADE: a deleted file's links stay on record (revoked) and answer
    # 410 Gone instead of turning into unknown tokens.
    upload = models.ForeignKey(Upload, on_delete=models.SET_NULL, null=True, related_name="shares")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares"
    )
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    token_prefix = models.CharField(
        max_length=8, help_text="The token's first characters, to recognise a link."
    )
    # File name when the link was made: the owner's list and the admin still say what
    # a link pointed to after the file is gone.
    name = models.CharField(max_length=255)
    password = models.CharField(
        max_length=128, blank=True, help_text="Django password hash; empty means no password."
    )
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveIntegerField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_download_at = models.DateTimeField(null=True, blank=True)
    # Shown on the landing page, escaped, line breaks kept (files/text.py cleans it).
    message = models.TextField(blank=True, max_length=2000)
    # "Tell me when it is downloaded" (files/notifications/): mail the owner at the first
    # download and when the downloads are used up.
    notify = models.BooleanField(default=False)
    # When the owner was told the link expires within a day (once; a new expiry clears it).
    expiry_announced_at = models.DateTimeField(null=True, blank=True)
    # A link to several files (files/shares/multi.py) has no `upload`: its files are `files`, each
    # with its own download count (ShareFile), and it lives while one of them is left.
    multi = models.BooleanField(default=False)
    files: models.ManyToManyField[Upload, ShareFile] = models.ManyToManyField(
        Upload, through="ShareFile", related_name="bundles", blank=True
    )

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        USED_UP = "used_up", "Used up"
        REVOKED = "revoked", "Revoked"
        # Only the owner's list says this (files/shares/listing.py); a visitor hears why.
        FILES_DELETED = "files_deleted", "Files deleted"

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["upload", "-created_at"]),
            # The owner's links page and GET /api/shares: newest first, a keyset page at a time.
            models.Index(fields=["owner", "-created_at", "-id"], name="share_owner_list"),
        ]

    def __str__(self) -> str:
        return f"{self.token_prefix}… → {self.name}"

    def state(self, now: datetime | None = None) -> State:
        """Revoked, used up, expired or active (a multi-file link's files: files/shares/multi.py)."""
        if self.revoked_at is not None or (self.upload_id is None and not self.multi):
            return self.State.REVOKED
        if (
            self.multi
        ):  # counted per file: used up once every file was (shares/multi.py: ensure_open)
            return (
                self.State.EXPIRED
                if self.expires_at <= (now or timezone.now())
                else self.State.ACTIVE
            )
        if self.max_downloads is not None and self.downloads >= self.max_downloads:
            return self.State.USED_UP
        if self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.ACTIVE

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    @property
    def downloads_left(self) -> int | None:
        if self.max_downloads is None:
            return None
        return max(self.max_downloads - self.downloads, 0)


class ShareFile(models.Model):
    """One file of a link to several files, with how often it was fetched through the link."""

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="entries")
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="share_entries")
    position = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["share", "upload"], name="share_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.share_id} → {self.upload_id}"


class Attempt(models.Model):
    """One counted attempt (a link password, a sign-up, a guest's upload start), kept while
    it counts towards its limit (files/accounts/throttle.py, files/links/passwords.py).

    In the database, not a cache, so the limits hold across every worker and server.
    """

    # What is counted: "share:<id>" or "request:<id>" (passwords), "signup", "guest-upload".
    scope = models.CharField(max_length=64)
    # SHA-256 of the client's address: enough to tell clients apart, without keeping IPs.
    client = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "client", "created_at"])]

    def __str__(self) -> str:
        return f"attempt on {self.scope} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class UploadRequest(models.Model):
    """A link through which people without an account send files to its owner.

    Like share links, only the token's SHA-256 is stored.
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        FULL = "full", "Full"
        EXPIRED = "expired", "Expired"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_requests"
    )
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True, max_length=2000)
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    token_prefix = models.CharField(max_length=8)
    password = models.CharField(
        max_length=128, blank=True, help_text="Django password hash; empty means no password."
    )
    expires_at = models.DateTimeField()
    max_files = models.PositiveIntegerField(null=True, blank=True)
    max_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the owner was told the request expires within a day (files/notifications/).
    expiry_announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.token_prefix}…)"

    @property
    def has_password(self) -> bool:
        return bool(self.password)


class ApiToken(models.Model):
    """A personal API token: scripts, the CLI and other front ends act as its owner.

    Like share tokens, only the token's SHA-256 is stored; the token itself is shown once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    token_prefix = models.CharField(
        max_length=16, help_text="The token's first characters, to recognise it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    def is_active(self, now: datetime | None = None) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > (now or timezone.now())


# Later domains' tables, each in a module of its own (see the docstring).
from files.models.accounts import Account as Account  # noqa: E402
from files.models.events import Event as Event  # noqa: E402
from files.models.mail import LinkMail as LinkMail  # noqa: E402
from files.models.notifications import Notification as Notification  # noqa: E402
from files.models.schedule import Schedule as Schedule  # noqa: E402
from files.models.sweeps import DeletedUpload as DeletedUpload  # noqa: E402
from files.models.webhooks import Delivery as Delivery  # noqa: E402
from files.models.webhooks import Webhook as Webhook  # noqa: E402
