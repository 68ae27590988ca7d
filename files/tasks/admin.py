"""Task results in the admin (database backend): django-tasks-db's read-only admin, with each
result's attempt and the error it ended with in the list."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from files.tasks.retry import ATTEMPT


def error_summary(traceback: str) -> str:
    """The end of a formatted traceback: the exception line and the notes after it."""
    lines = traceback.rstrip().splitlines()
    # Frames and source lines are indented; the exception and its notes are not.
    tail: list[str] = []
    for line in reversed(lines):
        if line.startswith(" ") or line.startswith("Traceback ("):
            break
        tail.insert(0, line)
    return "\n".join(tail)


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display_with_errors = (
        "task_name",
        "status",
        "attempt",
        "error",
        "enqueued_at",
        "started_at",
        "finished_at",
        "queue_name",
        "id",
    )
    search_fields = ("task_path", "id")

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        return self.list_display_with_errors

    @admin.display(description="attempt")
    def attempt(self, obj: DBTaskResult) -> int:
        return int(obj.args_kwargs.get("kwargs", {}).get(ATTEMPT, 1))

    @admin.display(description="error")
    def error(self, obj: DBTaskResult) -> str:
        return error_summary(obj.traceback) if obj.traceback else ""
