"""The S3 boundary: the only package that imports boto3/botocore, behind this one face.

Callers write `from files import s3` and use the names below (`s3.head(key)`,
`s3.ObjectNotFound`, `s3.presign_parts(...)`). The clients come from the configured Django
storage (one source of truth for endpoint, region and credentials); functions return small
dataclasses and raise the domain exceptions of `errors` instead of botocore's.

    limits      S3's limits (part sizes, part count, object size, URL lifetime)
    errors      the domain exceptions and the translation from botocore's errors
    connection  client configuration, ChuteS3Storage, the storage's client, the presign client
    presign     presigned POST policies, PUT URLs and UploadPart URLs
    sigv4       the batch SigV4 query signer (the one module touching botocore internals)
    objects     head, exists, copy, delete, put/get of small objects, listings
    multipart   create, list parts, complete, abort, list multipart uploads
    bucket      bucket creation, CORS, lifecycle, policy, ping
    permissions the IAM actions each operation needs, the policy document, a call recorder
"""

from files.s3.bucket import (
    ABORT_RULE_ID,
    CORS_RULE_ID,
    PUBLIC_STATIC_SID,
    ensure_bucket,
    get_cors,
    get_lifecycle_rules,
    get_policy,
    ping,
    put_abort_incomplete_rule,
    put_cors,
    put_public_read_policy,
)
from files.s3.connection import (
    ChuteS3Storage,
    bucket_name,
    client,
    client_config,
    counting_requests,
    presign_client,
    public_endpoint,
    storage,
)
from files.s3.errors import (
    AccessRefused,
    InvalidParts,
    ObjectChanged,
    ObjectNotFound,
    S3Failure,
    StorageUnavailable,
    UploadNotFound,
)
from files.s3.limits import (
    MAX_OBJECT_SIZE,
    MAX_PART_SIZE,
    MAX_PARTS,
    MAX_PRESIGN_SECONDS,
    MIN_PART_SIZE,
    GiB,
    MiB,
)
from files.s3.multipart import (
    MultipartInfo,
    PartInfo,
    abort_multipart,
    complete_multipart,
    create_multipart,
    list_multipart_uploads,
    list_parts,
)
from files.s3.objects import (
    ObjectInfo,
    StoredObject,
    copy,
    delete,
    exists,
    get_bytes,
    head,
    list_keys,
    list_objects,
    put_bytes,
)
from files.s3.permissions import OPERATION_ACTIONS, iam_policy, recording
from files.s3.presign import (
    PartToSign,
    PresignedPost,
    PresignedPut,
    presign_part,
    presign_parts,
    presign_post,
    presign_put,
)

__all__ = [
    "ABORT_RULE_ID",
    "CORS_RULE_ID",
    "MAX_OBJECT_SIZE",
    "MAX_PARTS",
    "MAX_PART_SIZE",
    "MAX_PRESIGN_SECONDS",
    "MIN_PART_SIZE",
    "OPERATION_ACTIONS",
    "PUBLIC_STATIC_SID",
    "AccessRefused",
    "ChuteS3Storage",
    "GiB",
    "InvalidParts",
    "MiB",
    "MultipartInfo",
    "ObjectChanged",
    "ObjectInfo",
    "ObjectNotFound",
    "PartInfo",
    "PartToSign",
    "PresignedPost",
    "PresignedPut",
    "S3Failure",
    "StorageUnavailable",
    "StoredObject",
    "UploadNotFound",
    "abort_multipart",
    "bucket_name",
    "client",
    "client_config",
    "complete_multipart",
    "copy",
    "counting_requests",
    "create_multipart",
    "delete",
    "ensure_bucket",
    "exists",
    "get_bytes",
    "get_cors",
    "get_lifecycle_rules",
    "get_policy",
    "head",
    "iam_policy",
    "list_keys",
    "list_multipart_uploads",
    "list_objects",
    "list_parts",
    "ping",
    "presign_client",
    "presign_part",
    "presign_parts",
    "presign_post",
    "presign_put",
    "public_endpoint",
    "put_abort_incomplete_rule",
    "put_bytes",
    "put_cors",
    "put_public_read_policy",
    "recording",
    "storage",
]
