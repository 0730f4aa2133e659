"""``seed_demo`` produces minutes and notices with no worker running, and twice = same data."""

import pytest
from django.core.management import call_command

from demo.documents import PAST_TITLE
from meetings.models import (
    Meeting,
    MeetingStatus,
    MinutesRecord,
    MinutesStatus,
    Notice,
    RenderStatus,
)
from tests.meetings.pdf_helpers import (
    pdf_text,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)
from tests.meetings.test_minutes_print import HTML_TAG


@pytest.mark.django_db(transaction=True)
def test_seed_demo_renders_minutes_and_issues_notices_idempotently(wagtail_site):
    call_command("seed_demo")
    meeting = Meeting.objects.get(title=PAST_TITLE)
    assert meeting.status == MeetingStatus.CLOSED
    record = MinutesRecord.objects.select_related("document").get(meeting=meeting)
    assert record.render_status == RenderStatus.OK, record.render_error
    text = squash(pdf_text(record.document.file.path))
    assert "表决结果:" in text
    # The demo meeting ran one evening (19:00 to 20:03), and its minutes are reviewed and final.
    assert "19:00–20:03" in text
    assert record.status == MinutesStatus.FINAL
    assert record.revisions.count() == 1
    assert "待主持人审核更正" not in text
    # No HTML tag text (the proposals' rich text prints formatted); "<" in "9.1% < 3/4" is fine.
    assert not HTML_TAG.search(pdf_text(record.document.file.path))
    notices = list(Notice.objects.order_by("pk").values_list("pk", "content_hash"))
    assert notices
    assert Notice.objects.filter(kind="vote_result", render_status=RenderStatus.OK).exists()
    assert Notice.objects.filter(kind="resolution", render_status=RenderStatus.OK).exists()

    call_command("seed_demo")
    assert Meeting.objects.filter(title=PAST_TITLE).count() == 1
    assert list(Notice.objects.order_by("pk").values_list("pk", "content_hash")) == notices
    record.refresh_from_db()
    assert record.render_attempts == 1
