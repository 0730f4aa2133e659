"""Moderation with Wagtail's own workflow, and the triage queue in the Wagtail admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.exceptions import NotPermitted
from deliberation.models import Category, Party, Proposal, ProposalStatus
from deliberation.proposals.selectors import ProposalFilters, proposal_list_public
from deliberation.proposals.services import proposal_accept, proposal_publish
from tests.factories.base import CommunityFactory
from tests.factories.proposals import resident, staff, submitted

pytestmark = pytest.mark.django_db


def test_nothing_is_public_before_approval():
    proposal = submitted(title="井盖松动")
    assert not proposal.live
    assert list(proposal_list_public(community=proposal.community)) == []
    assert proposal.workflow_in_progress


def test_staff_approval_publishes_through_the_workflow():
    proposal = submitted(title="井盖松动")
    committee = staff(proposal.community)
    proposal_publish(proposal=proposal, actor=committee.user, note="属实")
    proposal.refresh_from_db()
    assert proposal.live
    assert proposal.first_published_at is not None
    assert not proposal.workflow_in_progress
    found = proposal_list_public(community=proposal.community, filters=ProposalFilters(q="井盖"))
    assert [p.pk for p in found] == [proposal.pk]


def test_publishing_an_old_revision_never_undoes_triage():
    proposal = submitted()
    committee = staff(proposal.community)
    proposal_accept(
        proposal=proposal,
        actor=committee.user,
        category=Category.SAFETY,
        responsible_party=Party.PROPERTY,
        note="转物业",
    )
    proposal_publish(proposal=proposal, actor=committee.user)
    proposal.refresh_from_db()
    assert proposal.live
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.category == Category.SAFETY
    assert proposal.responsible_party == Party.PROPERTY


def test_residents_and_other_communities_cannot_publish():
    proposal = submitted()
    with pytest.raises(NotPermitted):
        proposal_publish(proposal=proposal, actor=resident(proposal.community).user)
    with pytest.raises(NotPermitted):
        proposal_publish(proposal=proposal, actor=staff(CommunityFactory()).user)
    proposal.refresh_from_db()
    assert not proposal.live


def test_wagtail_approve_action_publishes(client):
    proposal = submitted(title="路灯不亮")
    committee = staff(proposal.community)
    client.force_login(committee.user)
    task_state = proposal.current_workflow_task_state
    url = reverse(
        "wagtailsnippets_deliberation_proposal:workflow_action",
        args=[proposal.pk, "approve", task_state.pk],
    )
    response = client.post(url, {"comment": "同意公开"})
    assert response.status_code in (200, 302)
    proposal.refresh_from_db()
    assert proposal.live


def test_triage_queue_lists_submitted_matters_with_age_and_deadline(client):
    community = CommunityFactory(response_days=3)
    old = submitted(community, title="老问题")
    Proposal.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=5))
    fresh = submitted(community, title="新问题", category=Category.PARKING)
    other = submitted(CommunityFactory(), title="别的社区")
    committee = staff(community)
    client.force_login(committee.user)
    response = client.get(reverse("deliberation_triage_queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "老问题" in body and "新问题" in body
    assert "别的社区" not in body
    rows = response.context["page"].object_list
    by_title = {row.proposal.title: row for row in rows}
    assert by_title["老问题"].age_days == 5
    assert by_title["老问题"].overdue and by_title["老问题"].days_overdue == 2
    assert not by_title["新问题"].overdue
    assert [r.proposal.pk for r in rows] == [old.pk, fresh.pk]  # oldest first
    newest_first = client.get(reverse("deliberation_triage_queue"), {"sort": "-submitted_at"})
    assert [r.proposal.pk for r in newest_first.context["page"].object_list] == [fresh.pk, old.pk]
    parking = client.get(reverse("deliberation_triage_queue"), {"category": "parking"})
    assert [r.proposal.pk for r in parking.context["page"].object_list] == [fresh.pk]
    overdue = client.get(reverse("deliberation_triage_queue"), {"overdue": "on"})
    assert [r.proposal.pk for r in overdue.context["page"].object_list] == [old.pk]
    assert other.pk not in {r.proposal.pk for r in rows}


@pytest.mark.parametrize(
    ("action", "fields", "status", "attribute", "value"),
    [
        (
            "accept",
            {"category": "parking", "responsible_party": "property", "note": "转物业"},
            ProposalStatus.ACCEPTED,
            "responsible_party",
            "property",
        ),
        (
            "answer",
            {"answer": "已修复", "note": ""},
            ProposalStatus.ANSWERED,
            "answer",
            "<p>已修复</p>",
        ),
        (
            "reject",
            {"reason": "不属于小区事务", "note": ""},
            ProposalStatus.REJECTED,
            "reject_reason",
            "<p>不属于小区事务</p>",
        ),
    ],
)
def test_triage_actions_in_the_admin(client, action, fields, status, attribute, value):
    proposal = submitted()
    committee = staff(proposal.community)
    client.force_login(committee.user)
    url = reverse("deliberation_triage_proposal", args=[proposal.pk])
    assert client.get(url).status_code == 200
    data = {"action": action, **{f"{action}-{k}": v for k, v in fields.items()}}
    response = client.post(url, data)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == status
    assert getattr(proposal, attribute) == value
    step = proposal.transitions.order_by("-at", "-pk").first()
    assert step.actor == committee.user and step.to_status == status


def test_merge_in_the_admin(client):
    target = submitted(title="停车难")
    proposal = submitted(target.community, title="夜间停车乱")
    committee = staff(target.community)
    client.force_login(committee.user)
    url = reverse("deliberation_triage_proposal", args=[proposal.pk])
    response = client.post(url, {"action": "merge", "merge-into": target.pk, "merge-note": "同类"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.MERGED and proposal.merged_into == target


def test_invalid_triage_form_keeps_input_and_changes_nothing(client):
    proposal = submitted()
    committee = staff(proposal.community)
    client.force_login(committee.user)
    url = reverse("deliberation_triage_proposal", args=[proposal.pk])
    response = client.post(url, {"action": "reject", "reject-reason": "", "reject-note": "草稿"})
    assert response.status_code == 400
    assert "草稿" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_resident_cannot_open_the_triage_queue(client):
    proposal = submitted()
    neighbour = resident(proposal.community)
    client.force_login(neighbour.user)
    queue = client.get(reverse("deliberation_triage_queue"))
    assert queue.status_code in (302, 403)
    action = client.post(
        reverse("deliberation_triage_proposal", args=[proposal.pk]),
        {"action": "answer", "answer-answer": "x"},
    )
    assert action.status_code in (302, 403)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED


def test_staff_of_another_community_cannot_see_its_unpublished_matters(client):
    proposal = submitted(title="内部未公开")
    manager = staff(CommunityFactory(), Party.COMMITTEE)
    client.force_login(manager.user)
    denied = client.get(reverse("deliberation_triage_proposal", args=[proposal.pk]))
    assert denied.status_code in (302, 403)  # Wagtail turns PermissionDenied into a redirect
    assert "内部未公开" not in denied.content.decode()
    listing = client.get(reverse("wagtailsnippets_deliberation_proposal:list"))
    assert "内部未公开" not in listing.content.decode()
    edit = client.get(reverse("wagtailsnippets_deliberation_proposal:edit", args=[proposal.pk]))
    assert edit.status_code in (302, 403, 404)
    public = client.get(f"/{proposal.community.slug}/proposals/{proposal.pk}/")
    assert public.status_code == 404


def test_proposal_snippet_in_the_wagtail_admin_for_own_community(client):
    proposal = submitted(title="本社区待审")
    committee = staff(proposal.community)
    client.force_login(committee.user)
    listing = client.get(reverse("wagtailsnippets_deliberation_proposal:list"))
    assert listing.status_code == 200 and "本社区待审" in listing.content.decode()
    edit = client.get(reverse("wagtailsnippets_deliberation_proposal:edit", args=[proposal.pk]))
    assert edit.status_code == 200
    assert "通过并公开" in edit.content.decode()  # the workflow's approve action is offered
