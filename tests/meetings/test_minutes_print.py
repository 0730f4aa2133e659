"""Minutes that four parties can sign: formatted rich text, unreduced counts, areas only where
area counts, the real time range, a signature line per representative; read back as a reader."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import pytest

from deliberation.models import Proposal, ProposalOption
from meetings.minutes.pdf import minutes_render
from meetings.models import AgendaItem, Meeting
from tests.factories.minutes import SHANGHAI, build_minutes_scene
from tests.meetings.pdf_helpers import (
    pdf_text,
    require_cjk_font_and_poppler,  # noqa: F401 - autouse: fail clearly without the fonts
    squash,
)
from votes import counting
from votes.models import Option, Poll, PollStatus

pytestmark = pytest.mark.django_db

# Tag text such as "<p>", "</strong>" or "<br/>"; a comparison "9.1% < 3/4" is not one.
HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>")

RICH_BODY = (
    "<p>南门晚间<strong>乱停车</strong>,消防通道经常被堵。</p>"
    "<ul><li>晚八点后最严重</li><li>周末更甚</li></ul>"
    '<p>见<a href="https://example.org/photo">现场照片</a>。<script>alert(1)</script></p>'
)


def deliberative_result(options: list[Option]) -> dict:
    """88 council members voted: 8 for the first plan, 80 for the second, none for the third."""
    spec = counting.PollSpec(
        kind="deliberative",
        method="single",
        rule="plurality",
        options=tuple(
            counting.OptionSpec(id=o.pk, label=o.label, sort_order=i) for i, o in enumerate(options)
        ),
        question="充电桩位置",
    )
    voters = [counting.Voter(key=f"m{i}") for i in range(100)]
    ballots = [
        counting.CastBallot(
            voter_key=f"m{i}", choice={"choice": options[0 if i < 8 else 1].pk}, seq=i + 1
        )
        for i in range(88)
    ]
    return counting.count(spec, voters, ballots).to_dict()


def print_minutes() -> str:
    """The scene's minutes with rich text and a council poll added, rendered, as text."""
    scene = build_minutes_scene()
    Proposal.objects.filter(pk=scene.proposal.pk).update(body=RICH_BODY)
    ProposalOption.objects.filter(proposal=scene.proposal, sort_order=0).update(
        description="<p>划设<em>40个</em>车位</p><p>夜间<b>收费</b></p>",
        pros="<ul><li>费用低</li></ul>",
    )
    charging = Proposal.objects.create(
        community=scene.community,
        title="充电桩选址",
        body="<p>三处<strong>备选</strong>位置</p>",
        party=scene.proposal.party,
        author=scene.members["resident"],
        live=True,
    )
    poll = Poll.objects.create(
        community=scene.community,
        proposal=charging,
        question="充电桩位置",
        kind="deliberative",
        electorate="members",
        method="single",
        rule="plurality",
        status=PollStatus.CLOSED,
        total_headcount=100,
        total_area=Decimal("0.00"),
        created_by=scene.facilitator,
    )
    options = [
        Option.objects.create(poll=poll, label=label, sort_order=i)
        for i, label in enumerate(("北侧空地", "3号楼东侧", "地下车库"))
    ]
    poll.result = deliberative_result(options)
    poll.save()
    AgendaItem.objects.create(
        meeting=scene.meeting, proposal=charging, title="充电桩选址", poll=poll, sort_order=2
    )
    Meeting.objects.filter(pk=scene.meeting.pk).update(
        opened_at=datetime(2026, 11, 20, 19, 3, tzinfo=SHANGHAI)
    )
    record = minutes_render(meeting=scene.meeting)
    return pdf_text(record.document.file.path)


def test_minutes_four_parties_can_sign():
    """One render (seconds of WeasyPrint), read back for each point a signatory checks."""
    text = print_minutes()
    check_rich_text_prints_as_formatted_text_never_as_tags(text)
    check_counts_are_exact_unreduced_fractions(text)
    check_area_columns_only_where_area_counts(text)
    check_time_range_is_the_evening_it_ran(text)
    check_a_signature_line_per_party_representative(text)


def check_rich_text_prints_as_formatted_text_never_as_tags(text: str) -> None:
    assert not HTML_TAG.search(text), [line for line in text.splitlines() if "<" in line]
    assert "&lt;" not in text and "&amp;" not in text
    flat = squash(text)
    for expected in (
        "南门晚间乱停车",
        "晚八点后最严重",
        "现场照片",
        "划设40个车位",
        "夜间收费",
        "三处备选位置",
    ):
        assert expected in flat, expected
    assert "alert(1)" not in flat


def check_counts_are_exact_unreduced_fractions(text: str) -> None:
    flat = squash(text)
    assert "9.1%(8/88)" in flat
    assert "90.9%(80/88)" in flat
    assert "0.0%(0/88)" in flat
    assert "88.0%(88/100)" in flat  # participation of the council
    for reduced in ("(1/11)", "(10/11)", "(0/1)", "(22/25)"):
        assert reduced not in flat, reduced
    # The owners' poll keeps its unreduced area shares too.
    assert "88.2%(15000.00/17000.00㎡)" in flat


def check_area_columns_only_where_area_counts(text: str) -> None:
    flat = squash(text)
    assert not re.search(r"(?<![\d,.])0\.00㎡", flat)  # no zero-area column on the council poll
    owners, council = flat.split("表决:充电桩位置")
    assert "专有部分面积" in owners
    assert "面积" not in council.split("表决结果")[0]


def check_time_range_is_the_evening_it_ran(text: str) -> None:
    flat = squash(text)
    assert "2026年11月20日19:03–21:05" in flat


def check_a_signature_line_per_party_representative(text: str) -> None:
    signatures = squash(text).split("三、四方签字")[1]
    # Council member for the residents, staff for the other three; never a private resident.
    for line in (
        "居民/业主代表王秀英",
        "物业代表李建国(幸福物业·项目经理)",
        "社区居委会代表周敏(民主村居委会·主任)",
        "职能部门代表陈志强(街道城管科)",
    ):
        assert line in signatures, line
    assert "赵" not in signatures
    assert signatures.count("日期") == 4
