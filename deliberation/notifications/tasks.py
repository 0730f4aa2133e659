"""Background tasks of notifications (django-tasks)."""

from django_tasks import task

from deliberation.notifications.delivery import deliver_pending


@task()
def deliver_notifications_task() -> dict[str, int]:
    """Send what is pending; queued after every commit that wrote SMS or e-mail rows."""
    report = deliver_pending()
    return {"sent": report.sent, "failed": report.failed, "retrying": report.retrying}
