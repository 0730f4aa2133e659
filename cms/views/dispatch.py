"""The responsible unit's pages (phone first): its queue, and one dispatch with the claim,
return, feedback and completion forms. Unit staff see only what was dispatched to their units;
anyone else gets 403 on the queue and 404 on a dispatch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.forms.dispatch import UNIT_FORMS
from deliberation import scope
from deliberation.dispatch import selectors
from deliberation.dispatch import services as dispatch_services
from deliberation.exceptions import DeliberationError, InvalidInput
from deliberation.models import Dispatch, User
from deliberation.proposals.selectors import proposal_timeline
from deliberation.sanitize import clean_html

DONE_MESSAGES = {
    "claim": gettext_lazy("已认领,请在反馈期限内报告办理进展。"),
    "return": gettext_lazy("已退件,派件方将重新派件。"),
    "feedback": gettext_lazy("进展已反馈,提出人会收到通知。"),
    "complete": gettext_lazy("已办结,提出人会收到通知。"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


@login_required
def unit_queue(request: HttpRequest) -> HttpResponse:
    """待办派件: what was dispatched to the person's units, soonest due first; ``?done=1`` the
    finished ones."""
    user = _user(request)
    units = list(scope.staff_units(user))
    if not units:
        raise PermissionDenied
    done = request.GET.get("done") == "1"
    rows = selectors.unit_queue(user=user, now=timezone.now(), done=done)
    return render(
        request,
        "cms/dispatch/queue.html",
        {"rows": rows, "units": units, "done": done},
    )


def _call(action: str, dispatch: Dispatch, user: User, data: dict[str, str]) -> None:
    if action == "claim":
        dispatch_services.dispatch_claim(dispatch=dispatch, actor=user)
    elif action == "return":
        dispatch_services.dispatch_return(dispatch=dispatch, actor=user, reason=data["reason"])
    elif action == "feedback":
        dispatch_services.dispatch_feedback(dispatch=dispatch, actor=user, note=data["note"])
    else:
        dispatch_services.dispatch_complete(dispatch=dispatch, actor=user, report=data["report"])


@login_required
def unit_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """One dispatch of the person's unit: the matter, its due times, its timeline, and the forms
    its status allows. A refused step keeps what was typed and says why (400)."""
    user = _user(request)
    dispatch = selectors.unit_dispatch_get(user=user, pk=pk)
    if dispatch is None:
        raise Http404
    forms = {name: form_class() for name, form_class in UNIT_FORMS.items()}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in UNIT_FORMS:
            messages.error(request, _("未知操作。"))
            status = 400
        else:
            form = UNIT_FORMS[action](request.POST)
            forms[action] = form
            if form.is_valid():
                try:
                    _call(action, dispatch, user, form.cleaned_data)
                except InvalidInput as exc:
                    for field, errors in exc.fields.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                    if not exc.fields:
                        form.add_error(None, exc.message)
                    status = 400
                except DeliberationError as exc:
                    form.add_error(None, exc.message)
                    status = 400
                else:
                    messages.success(request, DONE_MESSAGES[action])
                    return HttpResponseRedirect(reverse("dispatch-detail", args=[pk]), status=303)
            else:
                status = 400
    row = selectors.dispatch_row(dispatch, timezone.now())
    proposal = dispatch.proposal
    return render(
        request,
        "cms/dispatch/detail.html",
        {
            "dispatch": dispatch,
            "row": row,
            "proposal": proposal,
            "body_html": clean_html(proposal.body),
            "forms": forms,
            "timeline": proposal_timeline(proposal),
        },
        status=status,
    )
