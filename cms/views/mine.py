"""My matters (我的议题): everything a signed-in person raised or had entered for them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deliberation.proposals import selectors as proposal_selectors


@login_required
def my_matters(request: HttpRequest) -> HttpResponse:
    """Each matter with its status, its answer, reason or merge target, and its timeline,
    unpublished ones included (their author sees an answer at once, the public once published).
    A fixed number of queries whatever the number of matters."""
    proposals = proposal_selectors.proposals_of_user(user=request.user)
    timelines = proposal_selectors.proposal_timelines(proposals)
    rows = [(proposal, timelines[proposal.pk]) for proposal in proposals]
    return render(request, "cms/mine/matters.html", {"rows": rows})
