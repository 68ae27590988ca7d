from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from files import (
            checks,  # noqa: F401  (registers the system checks)
            events,
        )
        from files.lifecycle import sweeps
        from files.notifications import tasks as notification_tasks
        from files.web import metrics
        from files.webhooks import tasks as webhook_tasks

        # Glue between layers: events (below everything) know nothing of the task queue, of
        # webhooks or of notifications; here their signal reaches the webhooks' dispatcher and
        # the notifications' collector, and importing their tasks registers their periodic
        # jobs with the worker's schedule.
        events.recorded.connect(webhook_tasks.on_recorded, dispatch_uid="webhooks-dispatch")
        events.recorded.connect(
            notification_tasks.on_recorded, dispatch_uid="notifications-collect"
        )
        # Every registered file counts in /metrics, whichever path confirmed it.
        events.registered.connect(metrics.on_registered, dispatch_uid="metrics-registered")
        # Whatever deletes an upload's row, the cleanup later looks under its key.
        post_delete.connect(sweeps.remember_deleted, sender="files.Upload", weak=False)
