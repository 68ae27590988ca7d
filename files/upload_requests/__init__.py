"""Upload requests: links through which people without an account send files to an owner."""
