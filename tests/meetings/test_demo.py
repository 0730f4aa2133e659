"""The demo has a live-ready meeting, and seeding twice gives the same data."""

import pytest

from demo import meetings as demo
from demo import registry as deliberation_demo
from meetings import selectors
from meetings.models import AgendaItem, Meeting, MeetingStatus

pytestmark = pytest.mark.django_db


def test_live_ready_meeting_is_seeded_once() -> None:
    community = deliberation_demo.seed_community()
    proposals = deliberation_demo.seed_proposals(community)
    demo.seed_meetings(community, proposals)
    counts = (Meeting.objects.count(), AgendaItem.objects.count())
    demo.seed_meetings(community, proposals)
    assert (Meeting.objects.count(), AgendaItem.objects.count()) == counts

    live = Meeting.objects.get(title=demo.LIVE_TITLE)
    assert live.status == MeetingStatus.SCHEDULED and live.is_public
    assert live.facilitator.username == "committee"
    assert len(live.checkin_code) == 6
    items = list(live.items.select_related("poll"))
    assert items[0].poll is not None and items[0].poll.method == "yesno"
    attendance = selectors.section_attendance(live)
    # The four parties' council members plus six invited residents are expected.
    assert attendance["quorum"]["expected"] >= 10
    assert {p for p, row in attendance["by_party"].items() if row["expected"]} == {
        "resident",
        "property",
        "committee",
        "department",
    }
