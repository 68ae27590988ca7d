from django.apps import AppConfig


class TasksConfig(AppConfig):
    """The task queue's own app, so its admin is discovered (files/tasks/admin.py)."""

    name = "files.tasks"
    label = "chute_tasks"
    verbose_name = "Tasks"
