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
        from files.notifications import tasks as notification_tasks  # noqa: F401
        from files.tasks import events as event_tasks
        from files.web import metrics
        from files.webhooks import tasks as webhook_tasks  # noqa: F401

        # Glue between layers: events (below everything) know nothing of the task queue, of
        # webhooks or of notifications; here their signal enqueues the one task that runs the
        # webhooks' dispatcher and the notifications' collector, and importing those packages'
        # tasks registers them with it and their periodic jobs with the worker's schedule.
        events.recorded.connect(event_tasks.on_recorded, dispatch_uid="events-take-in")
        # Every registered file counts in /metrics, whichever path confirmed it.
        events.registered.connect(metrics.on_registered, dispatch_uid="metrics-registered")
        # Whatever deletes an upload's row, the cleanup later looks under its key.
        post_delete.connect(sweeps.remember_deleted, sender="files.Upload", weak=False)
