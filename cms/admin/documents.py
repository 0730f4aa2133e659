"""Wagtail admin: staff see the minutes renders and notices of their own communities with their
status, attempts and error, and committee staff can ask for the minutes to be rendered again.

The notice desk (公示发布) is for committee staff of a community: the community's notices with
their state, issuing each kind of notice, withdrawing and reissuing one with a reason, and the
photo proving it was posted. Thin views: the forms validate, ``meetings.minutes.notices`` writes.
Its hooks run when ``cms.wagtail_hooks`` imports this module."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from cms.admin.policies import CommunityScopedPolicy, ScopedViewSetMixin
from deliberation import scope
from deliberation.exceptions import InvalidInput, NotPermitted
from deliberation.models import Community, Resolution, User
from meetings.minutes.notices import (
    CHANGE_EVENT_KINDS,
    NoticeDetails,
    NoticeRefused,
    default_how_to_vote,
    notice_attach_posting_photo,
    notice_issue,
    notice_reissue,
    notice_withdraw,
    poll_notice_drafts,
)
from meetings.minutes.rules import notice_communities
from meetings.minutes.services import minutes_enqueue
from meetings.models import Meeting, MeetingStatus, MinutesRecord, Notice, NoticeKind
from votes.models import Kind, Poll, PollStatus

RERENDER_PERMISSION = "meetings.change_minutesrecord"

# Records are written by the render services only: staff of the record's community may look,
# never add or edit here.
MINUTES_POLICY = CommunityScopedPolicy(
    MinutesRecord, community_path="meeting__community", actions={"view"}
)
NOTICE_POLICY = CommunityScopedPolicy(Notice, actions={"view"})
register_permission_policy(MinutesRecord, MINUTES_POLICY)
register_permission_policy(Notice, NOTICE_POLICY)


def may_rerender(user: scope.AnyUser, record: MinutesRecord) -> bool:
    """Ask for a record's minutes again: the committee of the meeting's community, with the
    permission."""
    return scope.is_committee_member(
        user, record.meeting.community, permission=RERENDER_PERMISSION
    ) and MINUTES_POLICY.covers(user, record)


class RerenderColumn(Column):
    cell_template_name = "cms/admin/meetings/rerender_cell.html"

    def get_cell_context_data(
        self, instance: MinutesRecord, parent_context: Mapping[str, Any]
    ) -> dict[str, Any]:
        context: dict[str, Any] = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["csrf_token_value"] = get_token(request) if request else ""
        context["action"] = reverse("meetings_minutes_rerender", args=[instance.pk])
        context["allowed"] = bool(request and may_rerender(request.user, instance))
        return context


class MinutesRecordViewSet(ScopedViewSetMixin, ModelViewSet):
    model = MinutesRecord
    icon = "doc-full"
    menu_label = gettext_lazy("会议纪要")
    name = "minutes"
    add_to_admin_menu = False
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["render_status"]  # never shown: the policy refuses add and change
    list_display = [
        "meeting",
        "render_status",
        "render_attempts",
        "render_error",
        "rendered_at",
        "document",
        RerenderColumn("rerender", label=gettext_lazy("操作")),
    ]
    list_filter = ["render_status"]
    inspect_view_fields = [
        "meeting",
        "render_status",
        "render_attempts",
        "render_error",
        "requested_at",
        "rendered_at",
        "document",
        "html_hash",
    ]
    ordering = ["-requested_at"]


class NoticeViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Notice
    icon = "doc-empty"
    menu_label = gettext_lazy("公示")
    name = "notices"
    add_to_admin_menu = False
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["title"]  # never shown: the policy refuses add and change
    list_display = [
        "__str__",
        "title",
        "kind",
        "posted_from",
        "posted_until",
        "render_status",
        "render_attempts",
        "render_error",
        "document",
    ]
    list_filter = ["kind", "render_status", "community"]
    inspect_view_fields = [
        "community",
        "kind",
        "title",
        "issuing_body",
        "posted_from",
        "posted_until",
        "supersedes",
        "issued_by",
        "issued_at",
        "reissue_reason",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "posting_photo_at",
        "render_status",
        "render_attempts",
        "render_error",
        "rendered_at",
        "document",
        "content_hash",
    ]
    ordering = ["-issued_at"]


class DocumentsViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("纪要与公示")
    menu_icon = "doc-full-inverse"
    menu_order = 320
    items = (MinutesRecordViewSet, NoticeViewSet)


@require_POST
def minutes_rerender_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the minutes of a record's meeting to be rendered again (committee staff of the
    meeting's community); a record of another community answers 404."""
    records = MINUTES_POLICY.scope_queryset(
        request.user, MinutesRecord.objects.select_related("meeting__community")
    )
    record = records.filter(pk=pk).first()
    if record is None:
        raise Http404
    if not may_rerender(request.user, record):
        raise PermissionDenied
    with transaction.atomic():
        minutes_enqueue(meeting=record.meeting)
    messages.success(
        request, _("已重新提交《%(meeting)s》会议纪要的生成。") % {"meeting": record.meeting}
    )
    return HttpResponseRedirect(reverse("minutes:index"))


# --- the notice desk (公示发布) ------------------------------------------------------------------

KIND_HELP = {
    NoticeKind.POLL_OPENING: gettext_lazy(
        "表决开始后发布:表决事项、冻结的总人数与总面积、表决期、表决方式和纸质票交回地点。"
    ),
    NoticeKind.POLL_PROGRESS: gettext_lazy(
        "表决期间随时发布:已参与表决的人数、面积及是否达到三分之二,不公布任何人的选择。"
    ),
    NoticeKind.POLL_CHANGE: gettext_lazy(
        "暂停、暂停网上表决、恢复或延长表决期后发布:原因、当前状态、截止时间和变动记录。"
    ),
    NoticeKind.PRELIMINARY_RESULT: gettext_lazy("表决截止后发布初步结果,公示期至少到异议期结束。"),
    NoticeKind.FINAL_RESULT: gettext_lazy("异议期结束、结果确定后发布最终结果。"),
    NoticeKind.RESOLUTION: gettext_lazy("公示决议内容、责任方、期限和办理进展。"),
    NoticeKind.MEETING: gettext_lazy("会前公告会议时间、地点和议程。"),
}


def subject_queryset(kind: NoticeKind, communities: QuerySet[Community]) -> QuerySet[Any]:
    """What a notice of ``kind`` may be about, in ``communities``."""
    if kind == NoticeKind.POLL_OPENING:
        return Poll.objects.filter(
            community__in=communities, status=PollStatus.OPEN, total_headcount__isnull=False
        ).order_by("-opened_at", "-pk")
    if kind == NoticeKind.POLL_PROGRESS:
        return Poll.objects.filter(community__in=communities, status=PollStatus.OPEN).order_by(
            "-opened_at", "-pk"
        )
    if kind == NoticeKind.POLL_CHANGE:
        return (
            Poll.objects.filter(
                community__in=communities,
                kind=Kind.OWNERS,
                status=PollStatus.OPEN,
                events__kind__in=CHANGE_EVENT_KINDS,
            )
            .distinct()
            .order_by("-opened_at", "-pk")
        )
    if kind == NoticeKind.PRELIMINARY_RESULT:
        return Poll.objects.filter(
            community__in=communities, status=PollStatus.CLOSED, result__isnull=False
        ).order_by("-closed_at", "-pk")
    if kind == NoticeKind.FINAL_RESULT:
        return Poll.objects.filter(
            community__in=communities, status=PollStatus.FINAL, result__isnull=False
        ).order_by("-closed_at", "-pk")
    if kind == NoticeKind.RESOLUTION:
        return (
            Resolution.objects.filter(community__in=communities)
            .select_related("proposal")
            .order_by("-decided_at", "-pk")
        )
    return Meeting.objects.filter(
        community__in=communities, status__in=[MeetingStatus.SCHEDULED, MeetingStatus.LIVE]
    ).order_by("starts_at", "pk")


class SubjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Model) -> str:
        if isinstance(obj, Poll):
            return f"{obj.question}({obj.stage_label})"
        if isinstance(obj, Resolution):
            return obj.proposal.title
        if isinstance(obj, Meeting):
            return f"{obj.title} · {timezone.localtime(obj.starts_at):%Y-%m-%d %H:%M}"
        return str(obj)


def _date_field(label: Any, *, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )


class NoticePeriodMixin(forms.Form):
    issuing_body = forms.CharField(
        label=gettext_lazy("发布单位"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("留空则为“本社区四方议事会”。"),
    )
    posted_from = _date_field(gettext_lazy("公示开始"), help_text=gettext_lazy("留空为今天。"))
    posted_until = _date_field(
        gettext_lazy("公示截止"), help_text=gettext_lazy("留空按本社区公示期天数计算。")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, until = data.get("posted_from"), data.get("posted_until")
        if until is not None and until < (start or timezone.localdate()):
            self.add_error("posted_until", _("公示截止日期不能早于开始日期。"))
        return data


class NoticeIssueForm(NoticePeriodMixin):
    subject = SubjectChoiceField(queryset=Poll.objects.none(), label=gettext_lazy("公示事项"))
    how_to_vote = forms.CharField(
        label=gettext_lazy("表决方式"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    paper_ballots = forms.CharField(
        label=gettext_lazy("纸质表决票交回地点"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("例如:社区居委会办公室(工作日 9:00–17:00)或各楼栋票箱。"),
    )
    field_order = ["subject", "how_to_vote", "paper_ballots", "issuing_body"]

    def __init__(
        self, *args: Any, kind: NoticeKind, communities: QuerySet[Community], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        field = self.fields["subject"]
        assert isinstance(field, forms.ModelChoiceField)  # declared above
        field.queryset = subject_queryset(kind, communities)
        if kind == NoticeKind.POLL_OPENING:
            self.fields["how_to_vote"].initial = default_how_to_vote()
        else:
            del self.fields["how_to_vote"]
            del self.fields["paper_ballots"]

    def details(self) -> NoticeDetails | None:
        if self.kind != NoticeKind.POLL_OPENING:
            return None
        return NoticeDetails(
            how_to_vote=self.cleaned_data.get("how_to_vote", "").strip(),
            paper_ballots=self.cleaned_data.get("paper_ballots", "").strip(),
        )


class NoticeReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )


class NoticeReissueForm(NoticeReasonForm, NoticePeriodMixin):
    field_order = ["reason", "issuing_body", "posted_from", "posted_until"]


class NoticePhotoForm(forms.Form):
    photo = forms.FileField(label=gettext_lazy("张贴照片"))


def _desk_communities(request: HttpRequest) -> QuerySet[Community]:
    communities = notice_communities(request.user)
    if not communities.exists():
        raise PermissionDenied
    return communities


def _actor(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _desk_notice(request: HttpRequest, pk: int) -> Notice:
    """A notice of the user's communities (another community's answers 404)."""
    notice = (
        Notice.objects.select_related("community")
        .filter(pk=pk, community__in=_desk_communities(request))
        .first()
    )
    if notice is None:
        raise Http404
    return notice


def notices_admin_list(request: HttpRequest) -> HttpResponse:
    """The notices of the communities where the user issues notices, newest first."""
    communities = _desk_communities(request)
    notices = list(
        Notice.objects.filter(community__in=communities)
        .select_related("community", "superseded_by__community", "supersedes__community")
        .order_by("-issued_at", "-pk")[:200]
    )
    return render(
        request,
        "cms/admin/notices/list.html",
        {
            "drafts": poll_notice_drafts(communities),
            "notices": notices,
            "kinds": [(kind, KIND_HELP[kind]) for kind in NoticeKind],
            "communities": communities,
            "header_title": _("公示发布"),
        },
    )


def _message(error: NoticeRefused | NotPermitted | InvalidInput) -> str:
    return str(error.message)


def notices_admin_issue(request: HttpRequest, kind: str) -> HttpResponse:
    communities = _desk_communities(request)
    actor = _actor(request)
    try:
        notice_kind = NoticeKind(kind)
    except ValueError as error:
        raise Http404 from error
    # A draft on the desk links here with its poll preselected (``?subject=<poll id>``).
    initial = (
        {"subject": request.GET["subject"]} if request.GET.get("subject", "").isdigit() else {}
    )
    form = NoticeIssueForm(
        request.POST or None, kind=notice_kind, communities=communities, initial=initial
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subject = data["subject"]
        try:
            notice, issued = notice_issue(
                kind=notice_kind,
                poll=subject if isinstance(subject, Poll) else None,
                resolution=subject if isinstance(subject, Resolution) else None,
                meeting=subject if isinstance(subject, Meeting) else None,
                actor=actor,
                issuing_body=data.get("issuing_body", ""),
                details=form.details(),
                posted_from=data.get("posted_from"),
                posted_until=data.get("posted_until"),
            )
        except (NoticeRefused, NotPermitted) as error:
            form.add_error(None, _message(error))
            status = 400
        else:
            if issued:
                messages.success(
                    request,
                    _("已发布 %(serial)s,PDF 正在生成。") % {"serial": notice.serial},
                )
            else:
                messages.info(
                    request,
                    _("内容与现行的 %(serial)s 相同,未重复发布。") % {"serial": notice.serial},
                )
            return HttpResponseRedirect(reverse("notices_admin_list"))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "cms/admin/notices/form.html",
        {
            "form": form,
            "header_title": _("发布%(kind)s") % {"kind": notice_kind.label},
            "help": KIND_HELP[notice_kind],
            "submit": _("发布"),
            "multipart": False,
        },
        status=status,
    )


def _desk_form(
    request: HttpRequest,
    notice: Notice,
    form: forms.Form,
    run: Callable[[dict[str, Any]], str],
    *,
    title: str,
    help_text: str,
    submit: str,
    multipart: bool = False,
) -> HttpResponse:
    """One notice action as a plain form: ``run`` calls the service with the cleaned data and
    returns the success message; a refusal is shown on the form (400) and nothing changes."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            done = run(form.cleaned_data)
        except InvalidInput as error:
            form.add_error("photo" if "photo" in form.fields else None, _message(error))
            status = 400
        except (NoticeRefused, NotPermitted) as error:
            form.add_error(None, _message(error))
            status = 400
        else:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("notices_admin_list"))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "cms/admin/notices/form.html",
        {
            "form": form,
            "notice": notice,
            "header_title": title,
            "help": help_text,
            "submit": submit,
            "multipart": multipart,
        },
        status=status,
    )


def notices_admin_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _desk_notice(request, pk)
    actor = _actor(request)

    def run(data: dict[str, Any]) -> str:
        notice_withdraw(notice=notice, actor=actor, reason=data["reason"])
        return _("已撤回 %(serial)s。") % {"serial": notice.serial}

    return _desk_form(
        request,
        notice,
        NoticeReasonForm(request.POST or None),
        run,
        title=_("撤回 %(serial)s") % {"serial": notice.serial},
        help_text=_("撤回后公示栏仍列出该公示,标明已撤回及原因。"),
        submit=_("撤回"),
    )


def notices_admin_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _desk_notice(request, pk)
    actor = _actor(request)

    def run(data: dict[str, Any]) -> str:
        new = notice_reissue(
            notice=notice,
            actor=actor,
            reason=data["reason"],
            issuing_body=data.get("issuing_body") or None,
            posted_from=data.get("posted_from"),
            posted_until=data.get("posted_until"),
        )
        return _("已重新发布为 %(serial)s,取代 %(old)s。") % {
            "serial": new.serial,
            "old": notice.serial,
        }

    return _desk_form(
        request,
        notice,
        NoticeReissueForm(request.POST or None, initial={"issuing_body": notice.issuing_body}),
        run,
        title=_("重新发布 %(serial)s") % {"serial": notice.serial},
        help_text=_("按最新数据生成新的公示,编新序号,取代原公示;原因印在新公示上。"),
        submit=_("重新发布"),
    )


def notices_admin_photo(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _desk_notice(request, pk)
    actor = _actor(request)

    def run(data: dict[str, Any]) -> str:
        notice_attach_posting_photo(notice=notice, actor=actor, upload=data["photo"])
        return _("已上传 %(serial)s 的张贴照片。") % {"serial": notice.serial}

    return _desk_form(
        request,
        notice,
        NoticePhotoForm(request.POST or None, request.FILES or None),
        run,
        title=_("%(serial)s 张贴照片") % {"serial": notice.serial},
        help_text=_("上传公示张贴在公示栏上的照片,作为已张贴的凭证(JPEG、PNG、WebP,10 MB 以内)。"),
        submit=_("上传"),
        multipart=True,
    )


class _NoticeDeskMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return notice_communities(request.user).exists()


@hooks.register("register_admin_viewset")
def register_documents_viewsets() -> DocumentsViewSetGroup:
    return DocumentsViewSetGroup()


@hooks.register("register_admin_urls")
def register_documents_urls() -> list[URLPattern]:
    return [
        path("minutes/<int:pk>/rerender/", minutes_rerender_view, name="meetings_minutes_rerender"),
        path("notice-desk/", notices_admin_list, name="notices_admin_list"),
        path("notice-desk/issue/<str:kind>/", notices_admin_issue, name="notices_admin_issue"),
        path(
            "notice-desk/<int:pk>/withdraw/", notices_admin_withdraw, name="notices_admin_withdraw"
        ),
        path("notice-desk/<int:pk>/reissue/", notices_admin_reissue, name="notices_admin_reissue"),
        path("notice-desk/<int:pk>/photo/", notices_admin_photo, name="notices_admin_photo"),
    ]


@hooks.register("register_admin_menu_item")
def register_notice_desk_menu_item() -> MenuItem:
    return _NoticeDeskMenuItem(
        gettext_lazy("公示发布"), reverse("notices_admin_list"), icon_name="doc-empty", order=321
    )
