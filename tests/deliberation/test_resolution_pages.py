"""Public tracking pages: the list with 10,000 resolutions (bounded queries, pages, filters), the
detail page (timeline, before/after photos, ratings summary, rating form), the metrics page."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from deliberation.models import (
    Category,
    Party,
    PhotoStage,
    Rating,
    Resolution,
    ResolutionStatus,
)
from deliberation.resolutions.services import (
    PhotoInput,
    progress_post,
    rating_submit,
    resolution_complete,
    resolution_create,
)
from tests.factories.base import CommunityFactory
from tests.factories.resolutions import DecidedProposalFactory, resident, staff_member

pytestmark = pytest.mark.django_db

S = ResolutionStatus


def jpeg(color):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "p.jpg"
    return buffer


@pytest.fixture
def many():
    """10,000 resolutions in one community, built with bulk_create."""
    community = CommunityFactory(slug="nantang")
    parking = DecidedProposalFactory(community=community, category=Category.PARKING)
    greening = DecidedProposalFactory(community=community, category=Category.GREENING)
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for i in range(10_000):
        status = [S.IN_PROGRESS, S.COMPLETED, S.REOPENED, S.IN_PROGRESS][i % 4]
        rows.append(
            Resolution(
                community=community,
                proposal=parking if i % 2 else greening,
                decision=f"决议 {i}",
                responsible_party=Party.PROPERTY if i % 3 else Party.DEPARTMENT,
                deadline=today + dt.timedelta(days=(i % 20) - 10),
                status=status,
                decided_at=now - dt.timedelta(minutes=i),
                completed_at=now if status == S.COMPLETED else None,
            )
        )
    Resolution.objects.bulk_create(rows, batch_size=1000)
    return community


def count_on_page(html: str) -> int:
    return len(re.findall(r'class="resolution-item"', html))


def test_list_of_10000_is_paginated_with_bounded_queries(
    client, many, django_assert_max_num_queries
):
    url = reverse("resolution-list", args=[many.slug])
    with django_assert_max_num_queries(6):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert count_on_page(html) == 20
    assert "共 10000 项决议" in html
    assert "第 1 / 500 页" in html
    assert "决议 0" in html  # newest first
    with django_assert_max_num_queries(6):
        last = client.get(url, {"page": 500})
    assert count_on_page(last.content.decode()) == 20
    assert "决议 9999" in last.content.decode()


def test_filters_with_bounded_queries(client, many, django_assert_max_num_queries):
    url = reverse("resolution-list", args=[many.slug])
    with django_assert_max_num_queries(6):
        response = client.get(
            url, {"status": "in_progress", "party": "department", "category": "parking"}
        )
    html = response.content.decode()
    expected = Resolution.objects.filter(
        status=S.IN_PROGRESS, responsible_party=Party.DEPARTMENT, proposal__category="parking"
    ).count()
    assert expected > 0
    assert f"共 {expected} 项决议" in html
    overdue = Resolution.objects.filter(
        status__in=[S.IN_PROGRESS, S.REOPENED], deadline__lt=timezone.localdate()
    ).count()
    with django_assert_max_num_queries(6):
        response = client.get(url, {"overdue": "on"})
    html = response.content.decode()
    assert f"共 {overdue} 项决议" in html
    assert html.count("已逾期</span>") == 20


def test_bad_filters_are_ignored_with_a_message(client, many):
    response = client.get(reverse("resolution-list", args=[many.slug]), {"status": "nonsense"})
    assert response.status_code == 200
    assert "部分筛选条件无效" in response.content.decode()
    assert "共 10000 项决议" in response.content.decode()


def test_unpublished_proposals_resolutions_are_not_listed(client):
    community = CommunityFactory()
    hidden = DecidedProposalFactory(community=community, live=False)
    resolution = resolution_create(
        proposal=hidden,
        decision="内部事项",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate(),
        actor=None,
    )
    listing = client.get(reverse("resolution-list", args=[community.slug]))
    assert "内部事项" not in listing.content.decode()
    detail = client.get(reverse("resolution-detail", args=[community.slug, resolution.pk]))
    assert detail.status_code == 404


@pytest.fixture
def completed():
    community = CommunityFactory(slug="donghu")
    proposal = DecidedProposalFactory(community=community, title="3号楼车棚漏雨")
    property_staff = staff_member(community, Party.PROPERTY, organisation="绿城物业")
    resolution = resolution_create(
        proposal=proposal,
        decision="物业在30天内更换顶棚",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=30),
        actor=None,
    )
    progress_post(
        resolution=resolution,
        actor=property_staff.user,
        text="已拆除旧顶棚",
        percent=50,
        photos=[PhotoInput(jpeg((120, 0, 0)), stage=PhotoStage.BEFORE, caption="漏雨的顶棚")],
    )
    resolution_complete(
        resolution=resolution,
        actor=property_staff.user,
        report="新顶棚安装完毕",
        photos=[PhotoInput(jpeg((0, 120, 0)), stage=PhotoStage.AFTER, caption="新顶棚")],
    )
    rating_submit(
        resolution=resolution, member=resident(community), score="satisfied", comment="很好"
    )
    return resolution


def test_detail_shows_timeline_photos_and_summary(client, completed, django_assert_max_num_queries):
    url = reverse("resolution-detail", args=[completed.community.slug, completed.pk])
    with django_assert_max_num_queries(20):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    for text in ["提出议题", "形成决议", "办理进展", "办结报告", "满意度测评(第 1 轮)"]:
        assert text in html
    assert html.index("提出议题") < html.index("形成决议") < html.index("办理进展")
    assert html.index("办理进展") < html.index("办结报告")
    assert "整改前后对比" in html and 'alt="漏雨的顶棚"' in html and 'alt="新顶棚"' in html
    assert "绿城物业" in html  # staff shown by organisation
    assert "满意率(满意 + 基本满意):100%" in html
    assert "很好" in html
    assert "登录后评价" in html  # anonymous visitor, window open


def test_resident_rates_through_the_page_once(client, completed):
    member = resident(completed.community)
    client.force_login(member.user)
    url = reverse("resolution-detail", args=[completed.community.slug, completed.pk])
    page = client.get(url).content.decode()
    assert 'name="score"' in page
    bad = client.post(url, {"comment": "没选"})
    assert bad.status_code == 400
    assert "没选" in bad.content.decode()  # the comment is kept
    response = client.post(url, {"score": "basic", "comment": "还行"})
    assert response.status_code == 302
    assert Rating.objects.get(member=member).score == "basic"
    page = client.get(url).content.decode()
    assert "您的评价:基本满意" in page and 'name="score"' not in page
    again = client.post(url, {"score": "dissatisfied"})
    assert again.status_code == 400
    assert "您已评价过本次办理结果" in again.content.decode()
    assert Rating.objects.filter(member=member).count() == 1


def test_staff_sees_why_they_cannot_rate(client, completed):
    staff = staff_member(completed.community, Party.PROPERTY)
    client.force_login(staff.user)
    url = reverse("resolution-detail", args=[completed.community.slug, completed.pk])
    html = client.get(url).content.decode()
    assert "只有本社区居民可以评价" in html and 'name="score"' not in html


def test_metrics_page_renders_bar_charts(client, completed, django_assert_max_num_queries):
    url = reverse("resolution-metrics", args=[completed.community.slug])
    with django_assert_max_num_queries(8):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<figure class="bar-chart"') == 5
    assert '<figcaption id="chart-overall-title">本社区四项指标</figcaption>' in html
    # Every value is text beside its bar, readable without seeing the bars.
    assert '<span class="bar-label">解决率</span>' in html
    assert '<span class="bar-value">100%</span>' in html
    assert "<script" not in html
    custom = client.get(url, {"preset": "custom", "start": "2026-01-02", "end": "2026-01-01"})
    assert custom.status_code == 400
    assert "开始日期不能晚于结束日期" in custom.content.decode()


def test_timeline_links_meeting_minutes_and_poll(client, completed):
    from meetings.models import AgendaItem, Meeting, MeetingStatus
    from votes.models import Poll, PollStatus

    community = completed.community
    facilitator = staff_member(community, Party.COMMITTEE).user
    day = completed.decided_at - dt.timedelta(days=2)
    type(completed.proposal).objects.filter(pk=completed.proposal_id).update(
        submitted_at=day - dt.timedelta(days=10)
    )
    meeting = Meeting.objects.create(
        community=community,
        title="十一月议事会",
        starts_at=day,
        place="居委会会议室",
        facilitator=facilitator,
        status=MeetingStatus.CLOSED,
    )
    poll = Poll.objects.create(
        community=community,
        proposal=completed.proposal,
        question="是否更换车棚顶棚",
        kind="owners",
        electorate="owners",
        method="single",
        rule="majority",
        status=PollStatus.CLOSED,
        closed_at=day + dt.timedelta(hours=1),
        decides_proposal=True,
        resolution=completed,
        result={"verdict": "passed"},
    )
    AgendaItem.objects.create(meeting=meeting, proposal=completed.proposal, title="车棚", poll=poll)
    html = client.get(
        reverse("resolution-detail", args=[community.slug, completed.pk])
    ).content.decode()
    assert "上会协商:十一月议事会" in html and "表决:是否更换车棚顶棚" in html
    assert reverse("meeting-minutes-pdf", args=[community.slug, meeting.pk]) in html
    assert reverse("poll-detail", args=[community.slug, poll.pk]) in html
    assert reverse("proposal-detail", args=[community.slug, completed.proposal.pk]) in html
    order = [html.index(s) for s in ["提出议题", "上会协商", "表决:", "形成决议", "办理进展"]]
    assert order == sorted(order)


def test_followup_ratings_are_marked_on_the_page(client, completed):
    from deliberation.resolutions.services import followup_record

    followup_record(
        resolution=completed,
        actor=staff_member(completed.community, Party.COMMITTEE).user,
        kind="call",
        member=resident(completed.community),
        score="basic",
        comment="电话里说基本满意",
    )
    html = client.get(
        reverse("resolution-detail", args=[completed.community.slug, completed.pk])
    ).content.decode()
    assert "基本满意 · 回访记录" in html  # the follow-up one is marked
    assert "满意 · 网上测评" not in html  # online ones are the default, not labelled
    assert "其中 1 人经回访评价" in html
