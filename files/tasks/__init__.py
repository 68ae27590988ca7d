"""The task queue: work that happens later, never in a request a user waits on.

Tasks are Django's Tasks API (the django-tasks backport of Django 6's `django.tasks`) on the
backend the settings choose: the database (django-tasks-db) by default, RQ on Redis with
CHUTE_TASKS_REDIS_URL. The same task code runs on both.

- `retry.py`: `retried_task`, the decorator every Chute task uses: a task that raises is
  enqueued again with exponential backoff, up to a number of attempts.
- `worker.py`: runs the worker of the configured backend (`manage.py worker`).
- `schedule.py`: the periodic jobs, enqueued by the worker when due; `runs.py`: what the
  worker logs about each run (a periodic job's routine runs at DEBUG only).
- `cleanup.py`: `settle_and_clean`, the cleanup of `cleanup_uploads` as a task.
- `events.py`: `take_in`, the one task a transaction that records events enqueues; it runs
  the steps other packages register (the webhooks' dispatch, the notifications' collection).
- `admin.py`: task results in the admin, with each one's attempt and error.

Every task is idempotent: an attempt may fail half-way, and a retry (or a worker that died
before recording its result) runs it again.
"""
