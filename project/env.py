"""Reading the environment for project/settings.py: typed values, refusals that name the variable.

Also the origins browsers reach the bucket at, which the settings (CSP) and the tests share.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def origin(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return f"{parts.scheme}://{parts.netloc}"


def s3_origins(endpoint: str, bucket: str, region: str) -> list[str]:
    """Origins browsers reach the bucket at: presigned POST/PUT/part URLs and downloads."""
    if endpoint:
        parts = urlsplit(endpoint)
        # Virtual-hosted style puts the bucket in the host name.
        return [origin(endpoint), f"{parts.scheme}://{bucket}.{parts.netloc}"]
    hosts = [f"s3.{region}.amazonaws.com", f"{bucket}.s3.{region}.amazonaws.com"]
    if region == "us-east-1":  # boto3 may sign for the global endpoint there
        hosts += ["s3.amazonaws.com", f"{bucket}.s3.amazonaws.com"]
    return [f"https://{host}" for host in hosts]
