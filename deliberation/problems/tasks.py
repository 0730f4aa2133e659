"""Background work of common problems (django-tasks)."""

from django_tasks import task

from deliberation.problems.services import problems_suggest


@task()
def suggest_common_problems_task() -> dict[str, int]:
    """Compare new matters with open ones and store likely groups for staff to decide."""
    report = problems_suggest()
    return {"compared": report.compared, "created": report.created, "joined": report.joined}
