"""The opening notice prints the rules the poll declared (issue 15 point 4)."""

import pytest

from meetings.minutes.notices import poll_opening_content
from tests.factories.base import CommunityFactory
from tests.factories.votes import resident_poll, residents
from votes.models import ChangePolicy

pytestmark = pytest.mark.django_db


def test_opening_notice_prints_the_declared_rules():
    community = CommunityFactory()
    residents(community, 1)
    poll = resident_poll(community, change_policy=ChangePolicy.ONCE, receipts_enabled=False)
    rules = dict(poll_opening_content(poll)["poll"]["declared_rules"])
    assert rules["改票"] == "截止前可更改一次"
    assert rules["回执码"] == "不提供回执码"
    assert rules["投票清单"].startswith("不公布投票清单")
