"""Background tasks of the votes app (django-tasks)."""

from django_tasks import task

from votes.services import polls_close_due, polls_publish_chain_heads


@task()
def close_due_polls_task() -> dict[str, list[int]]:
    """Scheduled deadline run: close every open poll past its ``closes_at``.

    Publishes the chain heads due too (``polls_close_due``). Returns the ids closed and those
    that failed (JSON-safe for the task result).
    """
    report = polls_close_due()
    return {"closed": [poll.pk for poll in report.closed], "failed": report.failed}


@task()
def publish_chain_heads_task(force: bool = False) -> list[int]:
    """Publish the chain head of every open poll due one (see ``polls_publish_chain_heads``);
    ``close_due_polls_task`` does this too. Returns the poll ids published."""
    return [item.poll_id for item in polls_publish_chain_heads(force=force)]
