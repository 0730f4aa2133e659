"""Wagtail-admin triage views: the queue of submitted matters and the per-matter actions.

Thin: they parse the forms and call ``deliberation.proposals.services``; the queue's age,
deadline and overdue come from the pure ``deliberation.proposals.triage`` functions.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation import scope
from deliberation.exceptions import DeliberationError
from deliberation.models import (
    Category,
    Channel,
    Community,
    Party,
    Proposal,
    ProposalStatus,
)
from deliberation.proposals import rules as proposal_rules
from deliberation.proposals import selectors as proposal_selectors
from deliberation.proposals.rules import TRIAGE_PERMISSION
from deliberation.proposals.services import (
    proposal_accept,
    proposal_answer,
    proposal_merge,
    proposal_publish,
    proposal_reject,
)
from deliberation.proposals.triage import age_days, response_clock
from deliberation.sanitize import clean_html

SORTS = {
    "submitted_at": "submitted_at",
    "-submitted_at": "-submitted_at",
    "title": "title",
    "-title": "-title",
    "community": "community__name",
    "-community": "-community__name",
}


@dataclass
class QueueRow:
    proposal: Proposal
    age_days: int
    deadline: datetime
    overdue: bool
    days_overdue: int


class QueueFilterForm(forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("社区"), queryset=Community.objects.none(), required=False
    )
    category = forms.ChoiceField(label=gettext_lazy("类别"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("渠道"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("只看超期"), required=False)

    def __init__(self, *args: Any, communities: Iterable[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["community"]).queryset = Community.objects.filter(
            pk__in=[c.pk for c in communities]
        )
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", _("全部")),
            *Category.choices,
        ]
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            ("", _("全部")),
            *Channel.choices,
        ]


def triage_queue(request: HttpRequest) -> HttpResponse:
    """Submitted matters with their age and deadline; sortable (``?sort=``) and filterable."""
    communities = list(
        scope.committee_communities(request.user, permission=TRIAGE_PERMISSION).order_by("name")
    )
    if not communities:
        raise PermissionDenied
    form = QueueFilterForm(request.GET or None, communities=communities)
    qs = proposal_selectors.proposal_triage_queue(communities=communities)
    wanted_overdue = False
    if form.is_valid():
        data = form.cleaned_data
        if data["community"]:
            qs = qs.filter(community=data["community"])
        if data["category"]:
            qs = qs.filter(category=data["category"])
        if data["channel"]:
            qs = qs.filter(channel=data["channel"])
        wanted_overdue = data["overdue"]
    sort = request.GET.get("sort", "submitted_at")
    qs = qs.order_by(SORTS.get(sort, "submitted_at"), "pk")
    now = timezone.now()
    rows = []
    for proposal in qs:
        clock = response_clock(
            submitted_at=proposal.submitted_at,
            response_days=proposal.community.response_days,
            responded_at=proposal.responded_at,
            now=now,
        )
        if wanted_overdue and not clock.overdue:
            continue
        rows.append(
            QueueRow(
                proposal,
                age_days(proposal.submitted_at, now),
                clock.deadline,
                clock.overdue,
                clock.days_overdue,
            )
        )
    if sort in ("deadline", "-deadline"):
        rows.sort(key=lambda row: row.deadline, reverse=sort.startswith("-"))
    page = Paginator(rows, 50).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("sort", None)
    query.pop("p", None)
    return render(
        request,
        "cms/admin/triage_queue.html",
        {
            "page": page,
            "form": form,
            "sort": sort,
            "query": query.urlencode(),
            "header_title": _("待分理议题"),
            "communities": communities,
        },
    )


class AcceptForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("类别"), choices=Category.choices)
    responsible_party = forms.ChoiceField(label=gettext_lazy("责任方"), choices=Party.choices)
    note = forms.CharField(label=gettext_lazy("备注"), required=False, widget=forms.Textarea)
    publish = forms.BooleanField(
        label=gettext_lazy("同时审核通过并公开"), required=False, initial=True
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("答复内容"), widget=forms.Textarea)
    note = forms.CharField(label=gettext_lazy("备注"), required=False, widget=forms.Textarea)
    publish = forms.BooleanField(
        label=gettext_lazy("同时审核通过并公开"), required=False, initial=True
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("不予受理理由"), widget=forms.Textarea)
    note = forms.CharField(label=gettext_lazy("备注"), required=False, widget=forms.Textarea)


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(label=gettext_lazy("合并至"), queryset=Proposal.objects.none())
    note = forms.CharField(label=gettext_lazy("备注"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["into"]).queryset = (
            Proposal.objects.filter(community=proposal.community)
            .exclude(pk=proposal.pk)
            .exclude(status=ProposalStatus.MERGED)
            .order_by("-submitted_at")
        )


class PublishForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("审核意见"), required=False, widget=forms.Textarea)


ACTIONS = {
    "accept": (
        AcceptForm,
        lambda p, u, d: proposal_accept(
            proposal=p,
            actor=u,
            category=d["category"],
            responsible_party=d["responsible_party"],
            note=d["note"],
            publish=d.get("publish", False),
        ),
        gettext_lazy("已受理。"),
    ),
    "answer": (
        AnswerForm,
        lambda p, u, d: proposal_answer(
            proposal=p, actor=u, answer=d["answer"], note=d["note"], publish=d.get("publish", False)
        ),
        gettext_lazy("已答复。"),
    ),
    "reject": (
        RejectForm,
        lambda p, u, d: proposal_reject(
            proposal=p, actor=u, reason=d["reason"], note=d["note"], publish=d.get("publish", False)
        ),
        gettext_lazy("已不予受理。"),
    ),
    "merge": (
        MergeForm,
        lambda p, u, d: proposal_merge(
            proposal=p, actor=u, into=d["into"], note=d["note"], publish=d.get("publish", False)
        ),
        gettext_lazy("已合并。"),
    ),
    "publish": (
        PublishForm,
        lambda p, u, d: proposal_publish(proposal=p, actor=u, note=d["note"]),
        gettext_lazy("已审核通过并公开。"),
    ),
}


def _form(name: str, proposal: Proposal, data: QueryDict | None = None) -> forms.Form:
    form_class = ACTIONS[name][0]
    kwargs: dict[str, Any] = {"prefix": name}
    if form_class is MergeForm:
        kwargs["proposal"] = proposal
    if form_class is AcceptForm:
        # Start from the category the resident chose; staff change it only when it is wrong.
        kwargs["initial"] = {"category": proposal.category}
    form = form_class(data, **kwargs)
    if proposal.live:
        form.fields.pop("publish", None)  # already public: nothing to approve
    return form


def _run(action: str, proposal: Proposal, user: Any, data: dict[str, Any]) -> None:
    """Triage and moderation as one step: the services publish in the transition's own
    transaction when the form's "同时审核通过并公开" is ticked."""
    ACTIONS[action][1](proposal, user, data)


def triage_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """One matter with the four triage actions and moderation approval; each is a plain form."""
    proposal = get_object_or_404(
        Proposal.objects.select_related("community", "author__user", "entered_by"), pk=pk
    )
    if not proposal_rules.can_triage_proposals(request.user, proposal.community):
        raise PermissionDenied
    forms_by_name = {name: _form(name, proposal) for name in ACTIONS}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("未知操作。"))
        else:
            form = _form(action, proposal, request.POST)
            forms_by_name[action] = form
            if form.is_valid():
                try:
                    _run(action, proposal, request.user, form.cleaned_data)
                except DeliberationError as exc:
                    form.add_error(None, exc.message)
                    status = 400
                else:
                    messages.success(request, str(ACTIONS[action][2]))
                    return HttpResponseRedirect(reverse("deliberation_triage_proposal", args=[pk]))
            else:
                status = 400
    clock = response_clock(
        submitted_at=proposal.submitted_at,
        response_days=proposal.community.response_days,
        responded_at=proposal.responded_at,
        now=timezone.now(),
    )
    return render(
        request,
        "cms/admin/triage_proposal.html",
        {
            "proposal": proposal,
            "forms": forms_by_name,
            "clock": clock,
            "timeline": proposal_selectors.proposal_timeline(proposal),
            "in_moderation": proposal.current_workflow_task_state is not None,
            "can_transition": proposal.status == ProposalStatus.SUBMITTED,
            "header_title": _("分理:%(title)s") % {"title": proposal.title},
            "phone": proposal.author.user.phone,
            "body_html": clean_html(proposal.body),
            "photos": list(proposal.photos.all()),
        },
        status=status,
    )
