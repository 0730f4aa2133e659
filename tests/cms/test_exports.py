"""The ledger in Excel: staff download XLSX workbooks with Chinese headers, scoped by community."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from deliberation.models import Party, Rating, RatingScore
from deliberation.models.resolutions import ProgressUpdate
from deliberation.proposals.services import proposal_answer, proposal_reject
from tests.factories.base import CommunityFactory
from tests.factories.proposals import resident, staff, submitted
from tests.factories.resolutions import ResolutionFactory
from tests.factories.votes import committee_staff, option_id, owners_estate, owners_poll
from votes import services as vote_services

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _book(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    body = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(body))


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_proposals_ledger_has_chinese_headers_and_the_matters(client):
    community = CommunityFactory(name="民主村")
    officer = staff(community)
    late = submitted(community, title='=HYPERLINK("http://x")', category="parking")
    type(late).objects.filter(pk=late.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=30)
    )
    answered = submitted(community, title="楼道灯不亮")
    proposal_answer(proposal=answered, actor=officer.user, answer="已更换灯泡。")
    rejected = submitted(community, title="不属于本社区的事")
    proposal_reject(proposal=rejected, actor=officer.user, reason="请向街道反映。")
    submitted(CommunityFactory(), title="别的社区的议题")
    client.force_login(officer.user)
    queue = client.get(reverse("deliberation_triage_queue")).content.decode()
    assert reverse("export-proposals", args=[community.slug]) in queue
    assert reverse("export-resolutions", args=[community.slug]) in queue
    response = client.get(reverse("export-proposals", args=[community.slug]))
    book = _book(response)
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="proposals-')
    assert "filename*=UTF-8''" + quote("民主村议题台账-") in disposition
    rows = _rows(book["议题"])
    header = rows[0]
    for name in ("渠道", "提交时间", "答复期限", "责任方", "状态", "是否超期", "答复"):
        assert name in header
    by_title = {row[header.index("标题")]: row for row in rows[1:]}
    assert set(by_title) == {'=HYPERLINK("http://x")', "楼道灯不亮", "不属于本社区的事"}
    # A formula typed by a resident stays text in Excel.
    cell = next(c for c in book["议题"]["B"] if c.value == '=HYPERLINK("http://x")')
    assert cell.data_type == "s"
    assert by_title['=HYPERLINK("http://x")'][header.index("是否超期")] == "是"
    assert by_title["楼道灯不亮"][header.index("答复")] == "已更换灯泡。"
    assert by_title["楼道灯不亮"][header.index("状态")] == "已当场答复"
    assert by_title["不属于本社区的事"][header.index("不予受理理由")] == "请向街道反映。"
    assert isinstance(by_title["楼道灯不亮"][header.index("提交时间")], dt.datetime)


def test_ledgers_refuse_anonymous_residents_and_other_communities(client):
    community = CommunityFactory()
    other = CommunityFactory()
    submitted(community)
    for name in ("export-proposals", "export-resolutions"):
        url = reverse(name, args=[community.slug])
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
        client.force_login(resident(community).user)
        assert client.get(url).status_code == 403
        client.force_login(staff(other).user)
        assert client.get(url).status_code == 403
        client.logout()


def test_resolutions_ledger_shows_progress_and_ratings(client):
    community = CommunityFactory()
    officer = staff(community)
    on_time = ResolutionFactory(proposal__community=community, percent_done=60)
    ProgressUpdate.objects.create(resolution=on_time, text="已进场施工", percent=60)
    late = ResolutionFactory(
        proposal__community=community, deadline=timezone.localdate() - dt.timedelta(days=3)
    )
    for score in (RatingScore.SATISFIED, RatingScore.SATISFIED, RatingScore.DISSATISFIED):
        Rating.objects.create(resolution=on_time, member=resident(community), score=score)
    ResolutionFactory()  # another community's
    client.force_login(officer.user)
    rows = _rows(_book(client.get(reverse("export-resolutions", args=[community.slug])))["决议"])
    header = rows[0]
    assert "完成进度(%)" in header and "满意率" in header
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {on_time.pk, late.pk}
    first = by_id[on_time.pk]
    assert first[header.index("最新进展")] == "已进场施工"
    assert first[header.index("完成进度(%)")] == 60
    assert (first[header.index("满意")], first[header.index("不满意")]) == (2, 1)
    assert first[header.index("满意率")] == "66.7%"
    assert first[header.index("责任方")] == "物业"
    assert by_id[late.pk][header.index("是否超期")] == "是"
    assert first[header.index("是否超期")] == "否"


def test_poll_workbook_lists_result_and_ballots_by_unit(client):
    estate = owners_estate(single_units=3)
    poll = owners_poll(estate)
    officer = committee_staff(estate.community)
    vote_services.ballot_cast(
        poll=poll, voter=estate.owners[0], choice={"choice": option_id(poll, 0)}
    )
    key = next(v["key"] for v in poll.frozen_electorate if estate.co_owners[0].pk in v["user_ids"])
    vote_services.ballot_cast(
        poll=poll,
        voter=key,
        choice={"choice": option_id(poll, 1)},
        channel="paper",
        entered_by=officer,
    )
    url = reverse("export-poll", args=[estate.community.slug, poll.pk])
    client.force_login(estate.owners[1])
    assert client.get(url).status_code == 403
    client.force_login(officer)
    detail = client.get(reverse("poll-detail", args=[estate.community.slug, poll.pk]))
    assert url in detail.content.decode()  # the staff box links the workbook
    book = _book(client.get(url))
    assert book.sheetnames == ["结果", "各选项", "选票"]
    ballots = _rows(book["选票"])
    assert ballots[0][:4] == ["序号", "房号/投票人", "业主/投票人姓名", "选择"]
    paper = next(row for row in ballots[1:] if row[0] == 2)
    assert paper[1] == str(estate.co_unit)
    assert set(paper[2].split("、")) == {str(u) for u in estate.co_owners}
    assert paper[6] == "纸质票(工作人员录入)" and paper[7] == str(officer)
    summary = dict((row[0], row[1]) for row in _rows(book["结果"])[1:])
    assert summary["表决事项"] == poll.question and summary["已收选票"] == 2


def test_metrics_workbook_is_public_and_refuses_a_bad_period(client):
    community = CommunityFactory()
    ResolutionFactory(proposal__community=community)
    url = reverse("export-metrics", args=[community.slug])
    rows = _rows(_book(client.get(url, {"preset": "90"}))["指标"])
    header = next(row for row in rows if row and row[0] == "范围")
    assert header[:3] == ["范围", "议题数", "响应率"]
    labels = [row[0] for row in rows[rows.index(header) + 1 :]]
    assert labels[0] == "全社区" and str(Party.PROPERTY.label) in labels
    bad = client.get(url, {"preset": "custom", "start": "2026-05-01", "end": "2026-01-01"})
    assert bad.status_code == 400
    assert "开始日期不能晚于结束日期" in bad.content.decode()


@pytest.mark.parametrize("name", ["export-proposals", "export-resolutions"])
def test_ledger_queries_do_not_grow_with_rows(client, django_assert_max_num_queries, name):
    community = CommunityFactory()
    officer = staff(community)
    client.force_login(officer.user)
    url = reverse(name, args=[community.slug])
    for size in (2, 12):
        for _ in range(size):
            submitted(community) if name == "export-proposals" else ResolutionFactory(
                proposal__community=community
            )
        with django_assert_max_num_queries(12):
            _book(client.get(url))


def test_metrics_page_links_the_workbook_of_the_period_shown(client):
    import html as html_lib
    import re

    community = CommunityFactory()
    ResolutionFactory(proposal__community=community)
    page = client.get(
        reverse("resolution-metrics", args=[community.slug]),
        {"preset": "custom", "start": "2026-01-01", "end": "2026-06-30"},
    )
    assert page.status_code == 200
    found = re.search(r'href="([^"]*metrics\.xlsx[^"]*)"', page.content.decode())
    assert found, "the metrics page has no Excel link"
    link = html_lib.unescape(found.group(1))
    assert "start=2026-01-01" in link and "end=2026-06-30" in link
    rows = _rows(_book(client.get(link))["指标"])
    assert any(row and row[0] == "范围" for row in rows)
