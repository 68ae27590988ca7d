from django.apps import AppConfig


class TasksConfig(AppConfig):
    """The task queue's own app: its admin (files/tasks/admin.py), its log lines (runs.py)."""

    name = "files.tasks"
    label = "chute_tasks"
    verbose_name = "Tasks"

    def ready(self) -> None:
        from django_tasks import signals

        from files.tasks import runs

        # Chute's lines per run (files/tasks/runs.py) in place of django-tasks' own.
        signals.task_started.disconnect(signals.log_task_started)
        signals.task_finished.disconnect(signals.log_task_finished)
        signals.task_started.connect(runs.log_started, dispatch_uid="chute-task-started")
        signals.task_finished.connect(runs.log_finished, dispatch_uid="chute-task-finished")
