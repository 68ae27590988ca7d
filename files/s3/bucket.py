"""The bucket itself: create it, Chute's CORS rule, lifecycle rule and public-static policy
(merged with whatever else the bucket holds), and a ping for health checks."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from files.s3.connection import bucket_name, client, quick_client
from files.s3.errors import error_code, translated


def ensure_bucket() -> bool:
    """Create the bucket when missing; returns True when it was created."""
    name = bucket_name()
    with translated():
        try:
            client().head_bucket(Bucket=name)
            return False
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) not in {
                "404",
                "NoSuchBucket",
                "NotFound",
            }:
                raise
        params: dict[str, Any] = {"Bucket": name}
        region = client().meta.region_name
        if region and region != "us-east-1":
            # AWS refuses a bucket without its region named anywhere but us-east-1.
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        client().create_bucket(**params)
    return True


# s3_setup runs on every deploy, and a bucket may serve more than Chute: these functions
# read each bucket document, add or replace Chute's own entry by its id and write the rest
# back untouched (S3's PUT replaces the whole document).
CORS_RULE_ID = "chute-browser-uploads"
ABORT_RULE_ID = "chute-abort-incomplete-multipart"
PUBLIC_STATIC_SID = "ChutePublicStatic"
_CORS_METHODS = ["GET", "HEAD", "PUT", "POST"]
# ETag for complete; Location for Uppy and other S3 clients that read where an object went.
_CORS_EXPOSE = ["ETag", "Location", "x-amz-checksum-sha256"]
_EARLIER_CORS_EXPOSE = ["ETag", "x-amz-checksum-sha256"]  # what Chute wrote before ids


def _replace_by(key: str, items: list[dict[str, Any]], own: dict[str, Any]) -> list[dict[str, Any]]:
    """`items` with the entries whose `key` matches `own`'s replaced by `own`, or it appended."""
    matches = [index for index, item in enumerate(items) if item.get(key) == own[key]]
    others = [item for item in items if item.get(key) != own[key]]
    at = matches[0] if matches else len(others)
    return [*others[:at], own, *others[at:]]


def _is_unnamed_chute_cors_rule(rule: dict[str, Any]) -> bool:
    # Chute before rules had ids wrote exactly this rule; adopt it rather than keep a twin.
    return (
        "ID" not in rule
        and sorted(rule.get("AllowedMethods", [])) == sorted(_CORS_METHODS)
        and rule.get("ExposeHeaders") in (_CORS_EXPOSE, _EARLIER_CORS_EXPOSE)
    )


def put_cors(origins: list[str]) -> None:
    """Let browsers at `origins` POST/PUT parts and read the ETag header (other rules stay)."""
    rule = {
        "ID": CORS_RULE_ID,
        "AllowedOrigins": origins,
        "AllowedMethods": _CORS_METHODS,
        "AllowedHeaders": ["*"],
        "ExposeHeaders": _CORS_EXPOSE,
        "MaxAgeSeconds": 3600,
    }
    others = [rule for rule in get_cors() if not _is_unnamed_chute_cors_rule(rule)]
    with translated():
        client().put_bucket_cors(
            Bucket=bucket_name(), CORSConfiguration={"CORSRules": _replace_by("ID", others, rule)}
        )


def get_cors() -> list[dict[str, Any]]:
    """The bucket's CORS rules, [] when it has none."""
    with translated():
        try:
            return client().get_bucket_cors(Bucket=bucket_name())["CORSRules"]
        except ClientError as error:
            if error_code(error) == "NoSuchCORSConfiguration":
                return []
            raise


def _get_lifecycle() -> dict[str, Any]:
    with translated():
        try:
            return client().get_bucket_lifecycle_configuration(Bucket=bucket_name())
        except ClientError as error:
            if error_code(error) == "NoSuchLifecycleConfiguration":
                return {}
            raise


def get_lifecycle_rules() -> list[dict[str, Any]]:
    """The bucket's lifecycle rules, [] when it has none."""
    return _get_lifecycle().get("Rules", [])


def put_abort_incomplete_rule(days: int) -> None:
    """A lifecycle rule that aborts multipart uploads left incomplete for `days` days."""
    rule = {
        "ID": ABORT_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
    }
    current = _get_lifecycle()
    extra = {}
    if "TransitionDefaultMinimumObjectSize" in current:  # AWS: part of the document too
        extra["TransitionDefaultMinimumObjectSize"] = current["TransitionDefaultMinimumObjectSize"]
    rules = _replace_by("ID", current.get("Rules", []), rule)
    with translated():
        client().put_bucket_lifecycle_configuration(
            Bucket=bucket_name(), LifecycleConfiguration={"Rules": rules}, **extra
        )


def get_policy() -> dict[str, Any] | None:
    """The bucket policy as a document, None when the bucket has none."""
    with translated():
        try:
            answer = client().get_bucket_policy(Bucket=bucket_name())
        except ClientError as error:
            if error_code(error) == "NoSuchBucketPolicy":
                return None
            raise
    return json.loads(answer["Policy"])


def put_public_read_policy(prefix: str) -> None:
    """Let anyone GET objects under `prefix` (static files), leaving the rest private.

    A bucket policy, not ACLs: AWS disables ACLs on new buckets. On AWS the bucket's
    Block Public Access settings must allow public policies.
    """
    name = bucket_name()
    statement = {
        "Sid": PUBLIC_STATIC_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{name}/{prefix.strip('/')}/*",
    }
    policy = get_policy() or {"Version": "2012-10-17"}
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):  # a policy may hold a single statement as an object
        statements = [statements]
    policy["Statement"] = _replace_by("Sid", statements, statement)
    with translated():
        client().put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def ping(*, timeout: float | None = None) -> None:
    """Raise StorageUnavailable (or ObjectNotFound for a missing bucket) unless the bucket answers.

    With `timeout`, one try that gives up after that many seconds (connect, then read).
    """
    with translated():
        (quick_client(timeout) if timeout else client()).head_bucket(Bucket=bucket_name())
