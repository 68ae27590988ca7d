"""Links: what share links and upload requests have in common (the token in the address, passwords)."""
