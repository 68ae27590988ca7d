"""Settings for what leaves Chute: mail (files/mail/, sent only by tasks) and webhooks.

Imported into project/settings.py; every value from the environment, as there.
"""

from project.env import env, env_bool, env_int, env_list, origin

# --- Email (files/mail/; sent only by tasks) ------------------------------------------------

# Django's own names. With no EMAIL_HOST, mail is printed on the console (development).
# Providers' HTTP APIs: django-anymail, set EMAIL_BACKEND (docs/operations.md#email).
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587 if env_bool("EMAIL_USE_TLS", False) else 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Chute <chute@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The origin links in mails point at (https://chute.example.com); empty: the request's own.
CHUTE_ORIGIN = origin(env("CHUTE_ORIGIN")) if env("CHUTE_ORIGIN") else ""
# Link mails ("Send by email") each owner may send in an hour.
CHUTE_LINK_MAILS_PER_HOUR = env_int("CHUTE_LINK_MAILS_PER_HOUR", 20)

# --- Notifications (files/notifications/; mailed by the worker) ----------------------------

# Files arriving through an upload request within this many seconds of the last one share a
# digest, sent this long after the last.
CHUTE_DIGEST_WINDOW = env_int("CHUTE_DIGEST_WINDOW", 60)
# Seconds between the worker's sweeps for events not yet taken in and notifications due.
CHUTE_NOTIFY_SWEEP_INTERVAL = env_int("CHUTE_NOTIFY_SWEEP_INTERVAL", 30)
# Seconds between looks for links and requests expiring within 24 hours (0: never).
CHUTE_EXPIRY_NOTICE_INTERVAL = env_int("CHUTE_EXPIRY_NOTICE_INTERVAL", 15 * 60)

# --- Webhooks (files/webhooks/) -------------------------------------------------------------

# Loopback, private and link-local targets are refused unless this is set (development, tests).
CHUTE_WEBHOOK_ALLOW_PRIVATE = env_bool("CHUTE_WEBHOOK_ALLOW_PRIVATE", False)
# Seconds a receiver has to connect and to answer one delivery.
CHUTE_WEBHOOK_TIMEOUT = env_int("CHUTE_WEBHOOK_TIMEOUT", 10)
CHUTE_WEBHOOK_SWEEP_INTERVAL = env_int("CHUTE_WEBHOOK_SWEEP_INTERVAL", 30)
# Seconds between a failed delivery and the next attempt; after the last, it has failed.
# The default keeps trying for about two days: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h,
# 12 h, 24 h.
CHUTE_WEBHOOK_RETRY_DELAYS = [
    int(delay)
    for delay in env_list(
        "CHUTE_WEBHOOK_RETRY_DELAYS", "30,120,600,1800,3600,7200,14400,28800,43200,86400"
    )
]
