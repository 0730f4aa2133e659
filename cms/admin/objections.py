"""Objections (异议) to an owners' poll's preliminary result, in the Wagtail admin: committee
staff of the poll's community record each objection received (who, unit, text, when, through
which channel) and answer it. One page per poll (``/admin/polls/<id>/objections/``), plain forms;
``votes.services.objections`` writes. Its hooks run when ``cms.wagtail_hooks`` imports it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks

from cms.admin.polls import poll_communities
from deliberation.exceptions import NotPermitted
from deliberation.models import User
from votes.exceptions import PollStateError
from votes.models import Kind, ObjectionChannel, Poll, PollObjection, PollStatus
from votes.services import objection_answer, objection_record


class ObjectionForm(forms.Form):
    objector_name = forms.CharField(label=gettext_lazy("异议人姓名"), max_length=60)
    unit_label = forms.CharField(
        label=gettext_lazy("房号"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("例如 3号楼 2单元 401。"),
    )
    channel = forms.ChoiceField(label=gettext_lazy("提出方式"), choices=ObjectionChannel.choices)
    received_at = forms.DateTimeField(
        label=gettext_lazy("收到时间"),
        required=False,
        help_text=gettext_lazy("留空为现在。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    text = forms.CharField(
        label=gettext_lazy("异议内容"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class AnswerForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(
        label=gettext_lazy("答复"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


def _poll(request: HttpRequest, pk: int) -> Poll:
    """A poll of a community where the user runs polls (others answer 404). Objections are
    only recorded on owners' polls in their objection stage (the page says so otherwise)."""
    poll = (
        Poll.objects.select_related("community")
        .filter(pk=pk, community__in=poll_communities(request.user))
        .first()
    )
    if poll is None:
        raise Http404
    return poll


def _actor(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def poll_objections_admin(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the poll's objections with their answers, a form to record one and one to answer
    each open one. POST ``action=record`` or ``action=answer``; a refusal shows on its form
    (status 400) and nothing is written."""
    poll = _poll(request, pk)
    actor = _actor(request)
    record_form = ObjectionForm(
        request.POST if request.POST.get("action") == "record" else None,
        initial={"channel": ObjectionChannel.IN_PERSON},
    )
    answer_form = AnswerForm(request.POST if request.POST.get("action") == "answer" else None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if request.POST.get("action") == "record" and record_form.is_valid():
                data = record_form.cleaned_data
                objection_record(
                    poll=poll,
                    actor=actor,
                    objector_name=data["objector_name"],
                    unit_label=data.get("unit_label", ""),
                    text=data["text"],
                    channel=data["channel"],
                    received_at=data.get("received_at"),
                )
                messages.success(request, _("异议已登记,请及时答复。"))
                return HttpResponseRedirect(reverse("poll_objections_admin", args=[poll.pk]))
            if request.POST.get("action") == "answer" and answer_form.is_valid():
                data = answer_form.cleaned_data
                objection = PollObjection.objects.filter(pk=data["objection"], poll=poll).first()
                if objection is None:
                    raise Http404
                objection_answer(objection=objection, actor=actor, answer=data["answer"])
                messages.success(request, _("答复已保存。"))
                return HttpResponseRedirect(reverse("poll_objections_admin", args=[poll.pk]))
        except ValidationError as error:
            _apply_errors(record_form if "objector_name" in request.POST else answer_form, error)
        except (PollStateError, NotPermitted) as error:
            target = record_form if "objector_name" in request.POST else answer_form
            target.add_error(None, error.message)
    objections = list(
        PollObjection.objects.filter(poll=poll)
        .select_related("recorded_by", "answered_by")
        .order_by("received_at", "pk")
    )
    return render(
        request,
        "cms/admin/polls/objections.html",
        {
            "poll": poll,
            "objections": objections,
            "open_count": sum(1 for item in objections if not item.is_answered),
            "record_form": record_form,
            "answer_form": answer_form,
            "answer_for": request.POST.get("objection", ""),
            "may_record": poll.kind == Kind.OWNERS and poll.status == PollStatus.CLOSED,
            "period_over": bool(poll.objection_until and timezone.now() >= poll.objection_until),
            "header_title": _("“%(question)s”的异议") % {"question": poll.question},
        },
        status=status,
    )


@hooks.register("register_admin_urls")
def register_objection_urls() -> list[URLPattern]:
    return [
        path("polls/<int:pk>/objections/", poll_objections_admin, name="poll_objections_admin"),
    ]
