"""An upload's end: delete (bytes purged, links revoked) and the periodic cleanup."""
