from typing import Any

from django.conf import settings
from django.http import HttpRequest


def chute(request: HttpRequest) -> dict[str, Any]:
    return {
        "signup_enabled": settings.CHUTE_SIGNUP_ENABLED,
        # The uploader reads it from a data- attribute: parts it keeps in flight at once.
        "parallel_parts": settings.CHUTE_PARALLEL_PARTS,
        # Files it uploads at once, and the size from which a file goes in parts (smaller
        # files are hashed whole first, so the bucket checks their SHA-256).
        "parallel_files": settings.CHUTE_PARALLEL_FILES,
        "multipart_threshold": settings.CHUTE_MULTIPART_THRESHOLD,
        # Its part plan's size, to hash the first parts before declaring a file (plan.js).
        "part_size": settings.CHUTE_PART_SIZE,
    }
