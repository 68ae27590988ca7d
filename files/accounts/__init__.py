"""Accounts: sign-up, personal API tokens (and the one hash_token), the attempt throttle."""
