"""Background tasks of the deliberation app (django-tasks)."""

from django_tasks import task

from deliberation.resolutions.reminders import send_reminders


@task()
def send_reminders_task() -> dict[str, int]:
    """Scheduled reminder run; returns the counts (JSON-safe for the task result)."""
    report = send_reminders()
    return {"sent": report.sent, "skipped": report.skipped, "no_recipient": report.no_recipient}
