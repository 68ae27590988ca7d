from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from files import (
            checks,  # noqa: F401  (registers the system checks)
            events,
        )
        from files.webhooks import tasks as webhook_tasks

        # Glue between layers: events (below everything) know nothing of the task queue or of
        # webhooks; here their signal reaches the webhooks' dispatcher, and importing the
        # webhooks' tasks registers their periodic sweep with the worker's schedule.
        events.recorded.connect(webhook_tasks.on_recorded, dispatch_uid="webhooks-dispatch")
