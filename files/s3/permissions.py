"""The IAM permissions Chute's credentials need, next to the calls that need them.

`OPERATION_ACTIONS` maps every S3 operation Chute performs (botocore's operation names:
calls from Django, the release's `s3_setup`, and the URLs it signs for browsers) to the IAM
actions that allow it; `iam_policy(bucket)` is the policy document docs/operations.md shows
(`manage.py s3_policy` prints it for the configured bucket). `recording()` collects the
operations the clients perform, so tests/integration/test_s3_permissions.py can check that
every call the release and the app make is allowed by the documented policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from files.s3.connection import client, presign_client

# Operation -> IAM actions. The browser performs PutObject (presigned POST policy or PUT),
# UploadPart and GetObject with URLs signed by these credentials, so those need them too.
OPERATION_ACTIONS: dict[str, tuple[str, ...]] = {
    # s3_setup (the release phase) and the health check
    "HeadBucket": ("s3:ListBucket",),
    "CreateBucket": ("s3:CreateBucket",),  # only when the bucket does not exist yet
    "GetBucketCors": ("s3:GetBucketCORS",),
    "PutBucketCors": ("s3:PutBucketCORS",),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "GetBucketPolicy": ("s3:GetBucketPolicy",),  # only with CHUTE_STATIC_ON_S3
    "PutBucketPolicy": ("s3:PutBucketPolicy",),  # only with CHUTE_STATIC_ON_S3
    # uploads, confirm, downloads, shares, deletes, cleanup
    "PostObject": ("s3:PutObject",),  # presigned POST policies (signed without a botocore call)
    "PutObject": ("s3:PutObject",),
    "HeadObject": ("s3:GetObject",),
    "GetObject": ("s3:GetObject",),
    "CopyObject": ("s3:GetObject", "s3:PutObject"),
    "DeleteObject": ("s3:DeleteObject",),
    "ListObjectsV2": ("s3:ListBucket",),
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",),
    "ListParts": ("s3:ListMultipartUploadParts",),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload",),
    "ListMultipartUploads": ("s3:ListBucketMultipartUploads",),
}

# IAM grants these on the bucket's ARN; every other action on its objects' ARN.
_BUCKET_ACTIONS = {
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:CreateBucket",
    "s3:GetBucketCORS",
    "s3:PutBucketCORS",
    "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
}


def actions() -> set[str]:
    """Every IAM action Chute needs."""
    return {action for needed in OPERATION_ACTIONS.values() for action in needed}


def iam_policy(bucket: str) -> dict[str, Any]:
    """The IAM policy document that lets Chute's credentials do everything it does to `bucket`."""
    needed = actions()
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ChuteBucket",
                "Effect": "Allow",
                "Action": sorted(needed & _BUCKET_ACTIONS),
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Sid": "ChuteObjects",
                "Effect": "Allow",
                "Action": sorted(needed - _BUCKET_ACTIONS),
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
        ],
    }


@contextmanager
def recording() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Collect (operation, parameters) for every call and signed URL the clients make meanwhile.

    botocore emits `before-parameter-build` for calls, presigned URLs and the batch part
    signer alike (presigned POST policies excepted: `PostObject` above).
    """
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, dict(params)))

    clients = {id(each): each for each in (client(), presign_client())}.values()
    for each in clients:
        each.meta.events.register("before-parameter-build.s3", record, unique_id="chute-record")
    try:
        yield seen
    finally:
        for each in clients:
            each.meta.events.unregister("before-parameter-build.s3", unique_id="chute-record")
