"""My matters (issue 13 point 2): a resident sees every matter they raised or that staff entered
for them, pending included, with status, answer and timeline; an answered, rejected or merged
matter shows its answer or reason to its author at once and to the public once published."""

import pytest
from django.test import Client
from django.urls import reverse

from deliberation.models import Channel, Proposal, ProposalStatus
from deliberation.proposals.services import (
    proposal_answer,
    proposal_merge,
    proposal_reject,
)
from tests.factories.base import CommunityFactory
from tests.factories.proposals import published, resident, staff, submitted

pytestmark = pytest.mark.django_db

MINE = "/mine/"


def detail(proposal: Proposal) -> str:
    return reverse("proposal-detail", args=[proposal.community.slug, proposal.pk])


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("my-matters"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_resident_sees_their_own_matters_pending_and_entered_for_them(client: Client) -> None:
    community = CommunityFactory()
    me = resident(community)
    neighbour = resident(community)
    committee = staff(community)
    pending = submitted(community, author=me, title="楼道灯坏了")
    by_phone = submitted(
        community,
        author=me,
        title="门口积水",
        channel=Channel.HOTLINE,
        entered_by=committee.user,
    )
    public = published(community, author=me, title="加装扶手")
    theirs = submitted(community, author=neighbour, title="邻居的议题")
    client.force_login(me.user)
    html = client.get(MINE).content.decode()
    for proposal in (pending, by_phone, public):
        assert proposal.title in html
        assert detail(proposal) in html
    assert theirs.title not in html
    assert "未公开,仅您和社区工作人员可见" in html
    assert "热线电话" in html  # the channel staff entered it through
    assert "已提交" in html  # status and the first timeline step
    # Each pending matter's own page opens for its author.
    for proposal in (pending, by_phone):
        assert client.get(detail(proposal)).status_code == 200


def test_answer_reason_and_merge_show_to_the_author_at_once_not_the_public(
    client: Client,
) -> None:
    community = CommunityFactory()
    me = resident(community)
    committee = staff(community)
    answered = submitted(community, author=me, title="健身器材松动")
    rejected = submitted(community, author=me, title="要求物业退费")
    merged = submitted(community, author=me, title="北门停车乱")
    target = published(community, title="小区停车整治")
    proposal_answer(proposal=answered, actor=committee.user, answer="<p>已通知物业本周内加固。</p>")
    proposal_reject(
        proposal=rejected, actor=committee.user, reason="<p>属于合同纠纷,请走法律途径。</p>"
    )
    proposal_merge(proposal=merged, actor=committee.user, into=target)

    client.force_login(me.user)
    html = client.get(MINE).content.decode()
    assert "已通知物业本周内加固。" in html
    assert "属于合同纠纷,请走法律途径。" in html
    assert target.title in html and detail(target) in html
    assert "已当场答复" in html and "不予受理" in html and "已合并" in html
    page = client.get(detail(answered)).content.decode()
    assert "已通知物业本周内加固。" in page
    assert "办理结果尚未公开" in page

    anonymous = Client()
    for proposal in (answered, rejected, merged):
        assert anonymous.get(detail(proposal)).status_code == 404


def test_staff_publish_an_answered_matter_from_triage_and_the_public_reads_the_answer(
    client: Client,
) -> None:
    community = CommunityFactory()
    me = resident(community)
    committee = staff(community)
    proposal = submitted(community, author=me, title="垃圾房清运")
    triage = reverse("deliberation_triage_proposal", args=[proposal.pk])
    client.force_login(committee.user)
    response = client.post(
        triage,
        {"action": "answer", "answer-answer": "已调整为每日两次清运。", "answer-note": ""},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ANSWERED
    if not proposal.live:
        # Answered without publishing: the triage page still offers publication.
        page = client.get(triage).content.decode()
        assert 'value="publish"' in page
        response = client.post(triage, {"action": "publish", "publish-note": ""})
        assert response.status_code == 302
        proposal.refresh_from_db()
    assert proposal.live

    public = Client().get(detail(proposal))
    assert public.status_code == 200
    html = public.content.decode()
    assert "已调整为每日两次清运。" in html
    assert "已当场答复" in html and "审核通过,公开发布" in html


@pytest.mark.parametrize("action", ["answer", "reject", "merge"])
def test_settling_with_publish_makes_the_reply_public_in_one_step(action: str) -> None:
    community = CommunityFactory()
    committee = staff(community)
    proposal = submitted(community)
    if action == "answer":
        proposal_answer(proposal=proposal, actor=committee.user, answer="答复内容", publish=True)
        text = "答复内容"
    elif action == "reject":
        proposal_reject(proposal=proposal, actor=committee.user, reason="理由内容", publish=True)
        text = "理由内容"
    else:
        target = published(community, title="合并目标")
        proposal_merge(proposal=proposal, actor=committee.user, into=target, publish=True)
        text = "合并目标"
    proposal.refresh_from_db()
    assert proposal.live
    html = Client().get(detail(proposal)).content.decode()
    assert text in html


def test_a_refused_settlement_publishes_nothing() -> None:
    """The transition and the publication are one transaction: a refused step changes nothing."""
    community = CommunityFactory()
    committee = staff(community)
    proposal = submitted(community)
    proposal_answer(proposal=proposal, actor=committee.user, answer="已答复")
    again = Proposal.objects.get(pk=proposal.pk)
    with pytest.raises(Exception):  # noqa: B017 - answered is final
        proposal_reject(proposal=again, actor=committee.user, reason="理由", publish=True)
    again.refresh_from_db()
    assert again.status == ProposalStatus.ANSWERED and not again.live


def test_my_matters_query_count_is_flat(client: Client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    community = CommunityFactory()
    committee = staff(community)
    few, many = resident(community), resident(community)
    for author, count in ((few, 1), (many, 12)):
        for index in range(count):
            proposal = submitted(community, author=author, title=f"议题{index}")
            if index % 3 == 1:
                proposal_answer(proposal=proposal, actor=committee.user, answer="答复")
            elif index % 3 == 2:
                proposal_reject(proposal=proposal, actor=committee.user, reason="理由")
    for author, count in ((few, 1), (many, 12)):
        client.force_login(author.user)
        with django_assert_max_num_queries(10):
            response = client.get(MINE)
        assert response.content.decode().count('class="card matter') == count
