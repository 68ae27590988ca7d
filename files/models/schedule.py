"""The worker's periodic jobs (files/tasks/schedule.py): one row per job."""

from __future__ import annotations

from django.db import models


class Schedule(models.Model):
    """One periodic job of the worker: claimed when due by a conditional UPDATE."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
