"""Background tasks of dispatch (django-tasks)."""

from django_tasks import task

from deliberation.dispatch.services import escalate_overdue_dispatches


@task()
def escalate_overdue_dispatches_task() -> dict[str, int]:
    """Periodic escalation run (safe to repeat); returns how many were escalated."""
    return {"escalated": escalate_overdue_dispatches()}
