import uuid

from django.conf import settings
from django.db import models


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
    # Holds `key` once the upload is READY, on the S3 storage.
    file = models.FileField(max_length=512, blank=True)
    name = models.CharField(max_length=255, help_text="Sanitised display name.")
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="Base64 SHA-256 the client declared (optional)."
    )
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

    # What the bucket reported on confirm.
    etag = models.CharField(max_length=128, blank=True)
    checksum_sha256 = models.CharField(max_length=128, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(help_text="When the issued upload URLs stop working.")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
