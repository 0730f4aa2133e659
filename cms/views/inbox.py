"""The signed-in person's inbox (站内消息), marking read, and how they want to be told."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.forms.notifications import PreferredChannelForm
from deliberation.models import Member, User
from deliberation.notifications import selectors, services

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required
    return user


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(selectors.inbox_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cms/inbox/list.html", {"page": page, "query": ""})


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or, without one, every unread notification read."""
    user = _user(request)
    raw = request.POST.get("id", "")
    if raw:
        if not raw.isdigit():
            messages.error(request, _("消息编号无效。"))
            return HttpResponseRedirect(reverse("inbox"), status=303)
        services.inbox_mark_read(user=user, notification_ids=[int(raw)])
    else:
        count = services.inbox_mark_read(user=user)
        messages.success(request, _("已将 %(count)s 条消息标为已读。") % {"count": count})
    page = request.POST.get("page", "")
    suffix = f"?page={page}" if page.isdigit() else ""
    return HttpResponseRedirect(reverse("inbox") + suffix, status=303)


@login_required
def inbox_preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    members = list(
        Member.objects.filter(user=user).select_related("community").order_by("community__name")
    )
    form = PreferredChannelForm(request.POST or None, members=members)
    if request.method == "POST":
        if form.is_valid():
            for member, channel in form.chosen():
                services.member_set_preferred_channel(member=member, channel=channel)
            messages.success(request, _("通知方式已保存。"))
            return HttpResponseRedirect(reverse("inbox-preferences"), status=303)
        return render(
            request, "cms/inbox/preferences.html", {"form": form, "user": user}, status=400
        )
    return render(request, "cms/inbox/preferences.html", {"form": form, "user": user})
