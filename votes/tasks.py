"""Background tasks of the votes app (django-tasks)."""

from django_tasks import task

from votes.services import polls_close_due


@task()
def close_due_polls_task() -> dict[str, list[int]]:
    """Scheduled deadline run: close every open poll past its ``closes_at``.

    Returns the ids closed and those that failed (JSON-safe for the task result).
    """
    report = polls_close_due()
    return {"closed": [poll.pk for poll in report.closed], "failed": report.failed}
