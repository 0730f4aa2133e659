"""The owners' campaign in the Wagtail admin (issue 15 points 1, 2, 7), for committee staff.

``/admin/campaign/``: the owners' polls; per poll the live campaign view (participation by head
and by area against both 2/3 marks, overall and per building; alerts), the not-yet-voted list
(printable per building, never a choice), printed ballots with codes (PDF), the entry form for
paper, proxy and phone ballots (opened by a ballot's code), the entries awaiting a second
person, and canvassers. Every view goes through ``votes.campaign.rules``; canvassers never reach
the admin (their page is ``cms.views.campaign``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms.views.polls import _choice_from_post
from deliberation import scope
from deliberation.exceptions import InvalidInput
from deliberation.models import Building, User
from meetings.minutes.render import css_counter_content, html_to_pdf, qr_data_uri
from votes.campaign import rules, selectors, services
from votes.campaign.evidence import ACCEPT
from votes.campaign.services import CallRecord, FourEyes, normalise_code
from votes.counting import accepts_blank
from votes.exceptions import VoteRefused
from votes.models import (
    BallotChannel,
    BallotEntry,
    CallOutcome,
    CampaignRules,
    EntryStatus,
    Kind,
    Method,
    Poll,
    PollStatus,
    Rule,
)

STAFF_ENTRY_CHANNELS = (BallotChannel.PAPER, BallotChannel.PROXY, BallotChannel.PHONE)
REFRESH_SECONDS = 5


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _poll(request: HttpRequest, poll_id: int, *, light: bool = False) -> Poll:
    """The poll, if the user runs its campaign; 404/403 otherwise (drafts have no campaign).

    ``light``: without the frozen electorate (a JSON list of every voter, about 1 MB at 5,700
    households, decoded on every request), for the views polled every few seconds that only
    read the frozen totals.
    """
    polls = Poll.objects.select_related("community")
    if light:
        polls = polls.defer("frozen_electorate")
    poll = get_object_or_404(polls, pk=poll_id)
    if not rules.can_run_campaign(request.user, poll):
        raise PermissionDenied
    services.campaign_units_ensure(poll=poll)
    return poll


def _not_campaign(request: HttpRequest, poll: Poll) -> HttpResponse:
    return render(
        request,
        "cms/admin/campaign/not_campaign.html",
        {"poll": poll, "header_title": poll.question},
        status=400,
    )


def _building_param(request: HttpRequest, poll: Poll) -> Building | None:
    raw = request.GET.get("building", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return get_object_or_404(Building, pk=int(raw), community_id=poll.community_id)


def campaign_index(request: HttpRequest) -> HttpResponse:
    communities = scope.committee_communities(request.user) & scope.staff_communities(request.user)
    if not communities.exists():
        raise PermissionDenied
    polls = (
        Poll.objects.filter(community__in=communities, kind=Kind.OWNERS)
        .exclude(status=PollStatus.DRAFT)
        .select_related("community")
        .order_by("-opened_at")
    )
    return render(
        request,
        "cms/admin/campaign/index.html",
        {"polls": polls, "header_title": _("业主表决组织")},
    )


def campaign_view(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll(request, poll_id, light=True)
    if not rules.is_campaign_poll(poll):
        return _not_campaign(request, poll)
    if request.method == "POST" and request.POST.get("action") == "phone_rule":
        if not rules.can_enter_campaign_ballots(request.user, poll):
            raise PermissionDenied
        services.campaign_rules_set(
            poll=poll,
            phone_needs_confirmation=request.POST.get("phone_needs_confirmation") == "1",
            actor=_user(request),
        )
        messages.success(request, _("电话表决复核规则已保存。"))
        return HttpResponseRedirect(reverse("votes_campaign", args=[poll.pk]))
    progress, _at = selectors.campaign_progress_shared(poll)
    phone_rule = CampaignRules.objects.filter(poll=poll).first()
    return render(
        request,
        "cms/admin/campaign/view.html",
        {
            "poll": poll,
            "progress": progress,
            "counts": selectors.entry_counts(poll),
            "refresh_seconds": REFRESH_SECONDS,
            "alert_limit": settings.SIFANG_CAMPAIGN_ALERT_UNITS,
            "phone_needs_confirmation": phone_rule.phone_needs_confirmation if phone_rule else True,
            "can_enter": rules.can_enter_campaign_ballots(request.user, poll),
            "header_title": _("表决组织:%(question)s") % {"question": poll.question},
        },
    )


def campaign_progress_json(request: HttpRequest, poll_id: int) -> JsonResponse:
    """The campaign view's numbers, polled every few seconds by every open view.

    Computed at most once per ``selectors.PROGRESS_FRESH_SECONDS`` per poll across workers
    (the cache is Redis in production), shared with the page itself: 300 staff watching cost
    one aggregation every two seconds, not 150 a second. ``at_time`` says when the numbers
    were computed.
    """
    poll = _poll(request, poll_id, light=True)
    if not rules.is_campaign_poll(poll):
        return JsonResponse({"error": _("本表决不是业主共同决定。")}, status=400)
    progress, computed_at = selectors.campaign_progress_shared(poll)
    data = progress.to_dict()
    data["need_owners_text"] = (
        _("还差 %(n)s 户达到三分之二") % {"n": progress.need_owners}
        if progress.need_owners
        else _("已达到三分之二")
    )
    data["need_area_text"] = (
        _("还差 %(n)s ㎡ 达到三分之二") % {"n": progress.need_area}
        if progress.need_area
        else _("已达到三分之二")
    )
    data["at_time"] = timezone.localtime(
        dt.datetime.fromtimestamp(computed_at, tz=dt.UTC)
    ).strftime("%H:%M:%S")
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


def not_voted(request: HttpRequest, poll_id: int) -> HttpResponse:
    """The not-yet-voted list: every building (or ``?building=``), one printed page each."""
    poll = _poll(request, poll_id)
    if not rules.is_campaign_poll(poll):
        return _not_campaign(request, poll)
    building = _building_param(request, poll)
    contacts = request.GET.get("contacts") == "1"
    waiting = selectors.not_voted_units(
        poll, building_ids=[building.pk] if building else None, with_contacts=contacts
    )
    groups: dict[str, list[selectors.WaitingUnit]] = {}
    for unit in waiting:
        groups.setdefault(unit.building, []).append(unit)
    return render(
        request,
        "cms/admin/campaign/not_voted.html",
        {
            "poll": poll,
            "groups": groups,
            "building": building,
            "contacts": contacts,
            "buildings": selectors.campaign_progress(poll).buildings,
            "printed_at": timezone.localtime(),
            "header_title": _("未投票名单"),
        },
    )


def ballots_pdf(request: HttpRequest, poll_id: int) -> HttpResponse:
    """Printed ballots of one building, one A4 page per unit, each with its code as a QR code."""
    poll = _poll(request, poll_id)
    if not rules.is_campaign_poll(poll):
        return _not_campaign(request, poll)
    building = _building_param(request, poll)
    if building is None:
        return render(
            request,
            "cms/admin/campaign/not_campaign.html",
            {"poll": poll, "message": _("请选择楼栋,每次打印一栋楼的选票。")},
            status=400,
        )
    units = selectors.campaign_units_for_print(poll, building.pk)
    entry_base = settings.SITE_URL.rstrip("/") + reverse("votes_campaign_entry", args=[poll.pk])
    with translation.override(settings.LANGUAGE_CODE):
        pages = [
            {"unit": unit, "qr": qr_data_uri(f"{entry_base}?code={unit.code}")} for unit in units
        ]
        html = render_to_string(
            "cms/admin/campaign/ballots_pdf.html",
            {
                "poll": poll,
                "building": building,
                "pages": pages,
                "options": list(poll.options.all()),
                "rule": poll.get_rule_display(),
                "method": poll.get_method_display(),
                "accepts_blank": accepts_blank(poll.method, poll.rule),
                "page_footer_css": css_counter_content(_("第 %(page)s 页 / 共 %(pages)s 页")),
                # Rendered without a request: the enums the context processor gives pages.
                "PollRule": Rule.__members__,
                "PollMethod": Method.__members__,
            },
        )
    pdf = html_to_pdf(html, base_url=settings.SITE_URL)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ballots-{poll.pk}-{building.pk}.pdf"'
    return response


def _entry_context(
    request: HttpRequest, poll: Poll, unit: Any, channels: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "poll": poll,
        "unit": unit,
        "options": list(poll.options.all()),
        "accepts_blank": accepts_blank(poll.method, poll.rule),
        "channels": [(c, BallotChannel(c).label) for c in channels],
        "outcomes": CallOutcome.choices,
        "accept": ACCEPT,
        "max_mb": settings.SIFANG_CAMPAIGN_EVIDENCE_MAX_BYTES // (1024 * 1024),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def _call_from_post(request: HttpRequest, outcome: str) -> CallRecord:
    called_at = parse_datetime(request.POST.get("called_at", "") or "") or timezone.now()
    if timezone.is_naive(called_at):
        called_at = timezone.make_aware(called_at)
    minutes = (request.POST.get("duration_minutes") or "0").strip()
    return CallRecord(
        number=request.POST.get("number", ""),
        called_at=called_at,
        duration_minutes=min(int(minutes), 600) if minutes.isdigit() else 0,
        notes=request.POST.get("notes", ""),
        outcome=outcome,
        read_back=request.POST.get("read_back") == "1",
    )


def entry_form(request: HttpRequest, poll_id: int) -> HttpResponse:
    """Find the unit by its ballot code (scanned or typed) or by ``?unit=``; enter its ballot.

    The entry waits for a second person; nothing counts from here.
    """
    poll = _poll(request, poll_id)
    if not rules.is_campaign_poll(poll):
        return _not_campaign(request, poll)
    source = request.POST if request.method == "POST" else request.GET
    code = normalise_code(source.get("code", ""))
    unit_raw = source.get("unit", "")
    unit = None
    if code:
        unit = selectors.unit_by_code(poll, code)
    elif unit_raw.isdigit():
        unit = selectors.campaign_unit(poll, int(unit_raw))
    context = _entry_context(request, poll, unit, STAFF_ENTRY_CHANNELS)
    context["code"] = code
    context["channel"] = source.get("channel", BallotChannel.PAPER)
    context["header_title"] = _("录入选票")
    context["recent"] = selectors.entries(poll, limit=10)
    context["counts"] = selectors.entry_counts(poll)
    if (code or unit_raw) and unit is None:
        context["error"] = _("没有找到这个编码对应的房屋,请核对选票上的编码。")
        return render(request, "cms/admin/campaign/entry.html", context, status=400)
    if unit is not None:
        context["waiting"] = selectors.not_voted_units(
            poll, building_ids=[unit.building_id], with_contacts=True
        )
        context["voted"] = not any(w.unit_id == unit.unit_id for w in context["waiting"])
        context["unit_contacts"] = next(
            (w for w in context["waiting"] if w.unit_id == unit.unit_id), None
        )
    if request.method != "POST":
        return render(request, "cms/admin/campaign/entry.html", context)
    if not rules.can_enter_campaign_ballots(request.user, poll):
        context["error"] = _("表决未在进行中,不能录入。")
        return render(request, "cms/admin/campaign/entry.html", context, status=409)
    if unit is None:
        context["error"] = _("请先扫描或输入选票编码。")
        return render(request, "cms/admin/campaign/entry.html", context, status=400)
    channel = request.POST.get("channel", BallotChannel.PAPER)
    outcome = request.POST.get("outcome", CallOutcome.VOTED)
    try:
        if channel == BallotChannel.PHONE and outcome != CallOutcome.VOTED:
            services.phone_call_record(
                poll=poll,
                unit_id=unit.unit_id,
                actor=_user(request),
                call=_call_from_post(request, outcome),
            )
            messages.success(request, _("通话记录已保存。"))
            return HttpResponseRedirect(reverse("votes_campaign_not_voted", args=[poll.pk]))
        if channel not in STAFF_ENTRY_CHANNELS:
            raise VoteRefused("bad_request")
        entry = services.ballot_entry_submit(
            poll=poll,
            unit_id=unit.unit_id,
            channel=channel,
            choice=_choice_from_post(poll, request.POST),
            actor=_user(request),
            evidence=request.FILES.get("evidence"),
            signer_name=request.POST.get("signer_name", ""),
            signer_id=request.POST.get("signer_id", ""),
            proxy_name=request.POST.get("proxy_name", ""),
            proxy_note=request.POST.get("proxy_note", ""),
            call=_call_from_post(request, outcome) if channel == BallotChannel.PHONE else None,
        )
    except InvalidInput as bad:
        context["error"] = str(bad)
        context["field_errors"] = bad.fields
        return render(request, "cms/admin/campaign/entry.html", context, status=400)
    except VoteRefused as refused:
        context["error"] = refused.message
        return render(request, "cms/admin/campaign/entry.html", context, status=400)
    if entry.status == EntryStatus.CONFIRMED:
        messages.success(
            request,
            _("%(unit)s 的电话表决已计入,回执 %(receipt)s。")
            % {"unit": unit.unit, "receipt": entry.receipt},
        )
    else:
        messages.success(
            request,
            _("%(unit)s 的选票已录入,等待另一名工作人员复核后计入。") % {"unit": unit.unit},
        )
    return HttpResponseRedirect(reverse("votes_campaign_entry", args=[poll.pk]))


def entries_view(request: HttpRequest, poll_id: int) -> HttpResponse:
    """Entries: the pending ones to confirm or reject (never one's own), and the decided ones
    with who entered and who confirmed."""
    poll = _poll(request, poll_id)
    counts = selectors.entry_counts(poll)
    status = request.GET.get("status", EntryStatus.PENDING)
    if status not in EntryStatus.values and status != "all":
        status = EntryStatus.PENDING
    context = {
        "poll": poll,
        "status": status,
        "header_title": _("录入选票复核"),
        "counts": counts,
    }
    context["statuses"] = [
        *((value, label, counts[value]) for value, label in EntryStatus.choices),
        ("all", _("全部"), None),
    ]
    if request.method == "POST":
        raw = request.POST.get("entry", "")
        entry = (
            BallotEntry.objects.select_related("poll__community")
            .filter(pk=int(raw), poll=poll)
            .first()
            if raw.isdigit()
            else None
        )
        error = ""
        if entry is None:
            error = _("请选择要复核的录入选票。")
        elif not rules.can_enter_campaign_ballots(request.user, poll):
            error = _("表决未在进行中,不能复核。")
        else:
            try:
                if request.POST.get("action") == "reject":
                    services.ballot_entry_reject(
                        entry=entry, actor=_user(request), reason=request.POST.get("reason", "")
                    )
                    messages.success(request, _("已退回,不计入结果。"))
                else:
                    done = services.ballot_entry_confirm(entry=entry, actor=_user(request))
                    if done.status == EntryStatus.CONFIRMED:
                        messages.success(
                            request,
                            _("已复核计入,回执 %(receipt)s。") % {"receipt": done.receipt},
                        )
                    else:
                        messages.warning(request, done.reject_reason)
                return HttpResponseRedirect(reverse("votes_campaign_entries", args=[poll.pk]))
            except FourEyes as refused:
                error = refused.message
            except (InvalidInput, VoteRefused) as refused:
                error = getattr(refused, "message", "") or str(refused)
        context["error"] = error
        context["rows"] = _entry_rows(poll, status)
        return render(request, "cms/admin/campaign/entries.html", context, status=400)
    context["rows"] = _entry_rows(poll, status)
    return render(request, "cms/admin/campaign/entries.html", context)


def _entry_rows(poll: Poll, status: str) -> list[BallotEntry]:
    """Entries with their choice and channel as shown (attributes for the template)."""
    labels = {o.pk: o.label for o in poll.options.all()}
    rows = selectors.entries(poll, status=None if status == "all" else status)
    for entry in rows:
        choice = entry.choice or {}
        picked = (
            [choice["choice"]]
            if choice.get("choice") is not None
            else choice.get("choices") or choice.get("ranking") or []
        )
        if picked:
            text = "、".join(labels.get(p, str(p)) for p in picked)
        elif choice:
            text = _("空白票")
        else:
            text = "—"
        entry.choice_text = text  # type: ignore[attr-defined]
        entry.channel_label = BallotChannel(entry.channel).label  # type: ignore[attr-defined]
    return rows


def canvassers_view(request: HttpRequest, poll_id: int) -> HttpResponse:
    """Assign canvassers (members of the community, by phone or user name) to buildings."""
    poll = _poll(request, poll_id)
    if not rules.is_campaign_poll(poll):
        return _not_campaign(request, poll)
    buildings = list(Building.objects.filter(community=poll.community).order_by("name"))
    error = ""
    if request.method == "POST":
        actor = _user(request)
        if request.POST.get("action") == "remove":
            raw = request.POST.get("assignment", "")
            assignment = poll.canvassers.filter(pk=int(raw)).first() if raw.isdigit() else None
            if assignment is None:
                error = _("没有找到该分配。")
            else:
                services.canvasser_remove(assignment=assignment, actor=actor)
                messages.success(request, _("已取消分配。"))
                return HttpResponseRedirect(reverse("votes_campaign_canvassers", args=[poll.pk]))
        else:
            who = request.POST.get("who", "").strip()
            person = (
                User.objects.filter(memberships__community=poll.community)
                .filter(username=who)
                .first()
                or User.objects.filter(memberships__community=poll.community, phone=who).first()
                if who
                else None
            )
            chosen = [b for b in buildings if str(b.pk) in request.POST.getlist("buildings")]
            if person is None:
                error = _("没有找到该社区的成员,请输入用户名或手机号。")
            elif not chosen:
                error = _("请至少选择一栋楼。")
            else:
                for building in chosen:
                    services.canvasser_assign(
                        poll=poll, user=person, building=building, actor=actor
                    )
                messages.success(
                    request,
                    _("已分配 %(name)s 负责 %(count)s 栋楼的入户表决。")
                    % {"name": person, "count": len(chosen)},
                )
                return HttpResponseRedirect(reverse("votes_campaign_canvassers", args=[poll.pk]))
    return render(
        request,
        "cms/admin/campaign/canvassers.html",
        {
            "poll": poll,
            "buildings": buildings,
            "assignments": selectors.assignments(poll),
            "error": error,
            "canvass_url": reverse("poll-canvass", args=[poll.community.slug, poll.pk]),
            "canvass_full_url": request.build_absolute_uri(
                reverse("poll-canvass", args=[poll.community.slug, poll.pk])
            ),
            "header_title": _("扫楼人员"),
        },
        status=400 if error else 200,
    )


class _CampaignMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return (
            scope.committee_communities(request.user) & scope.staff_communities(request.user)
        ).exists()


@hooks.register("register_admin_urls")
def register_campaign_urls() -> list[object]:
    return [
        path("campaign/", campaign_index, name="votes_campaign_index"),
        path("campaign/<int:poll_id>/", campaign_view, name="votes_campaign"),
        path(
            "campaign/<int:poll_id>/progress.json",
            campaign_progress_json,
            name="votes_campaign_progress",
        ),
        path("campaign/<int:poll_id>/not-voted/", not_voted, name="votes_campaign_not_voted"),
        path("campaign/<int:poll_id>/ballots.pdf", ballots_pdf, name="votes_campaign_ballots"),
        path("campaign/<int:poll_id>/entry/", entry_form, name="votes_campaign_entry"),
        path("campaign/<int:poll_id>/entries/", entries_view, name="votes_campaign_entries"),
        path(
            "campaign/<int:poll_id>/canvassers/",
            canvassers_view,
            name="votes_campaign_canvassers",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_campaign_menu_item() -> MenuItem:
    return _CampaignMenuItem(
        gettext_lazy("业主表决组织"), reverse("votes_campaign_index"), icon_name="group", order=215
    )
