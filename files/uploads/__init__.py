"""Uploads: declaring a file, keys and part plans, quotas, starting, multipart, resuming, confirming, reconciling, listing, downloads and Uppy.

No HTTP here: functions take typed values and raise files.errors. Callers import modules
(`from files.uploads import confirm`); this package re-exports nothing.
"""
