"""The database's settings for project/settings.py: DATABASE_URL, tuned for each engine.

Every value from the environment, as there.
"""

from typing import Any

import dj_database_url

from project.env import env_int


def database(url: str) -> dict[str, Any]:
    """settings.DATABASES["default"] for `url`."""
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default under concurrent writers (a guest dropping several files): a
        # transaction that reads then writes must hold the write lock from its start, or SQLite
        # refuses its write at once ("database is locked") instead of waiting; writers wait for
        # each other up to `timeout` seconds; WAL lets pages read while one writes.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("CHUTE_SQLITE_TIMEOUT", 20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            **config.get("OPTIONS", {}),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # libpq waits for ever for a server that accepts the connection and never answers:
        # give up after this many seconds (a URL's own ?connect_timeout= wins), so a request,
        # the worker and /healthz fail with a sentence instead of hanging. libpq's minimum is 2.
        config.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("CHUTE_DATABASE_CONNECT_TIMEOUT", 5)
        )
    return config
