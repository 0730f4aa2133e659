"""Public proposal pages: list (filters, search, pages), detail, second (附议), raise a matter."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.forms.proposals import OPTION_SLOTS, OnBehalfForm, OptionForm, ProposalForm, SearchForm
from deliberation import scope
from deliberation.exceptions import DeliberationError, InvalidInput
from deliberation.models import Channel, Community, Member, Proposal, User
from deliberation.proposals import rules as proposal_rules
from deliberation.proposals import selectors as proposal_selectors
from deliberation.proposals.services import OptionInput, proposal_second, proposal_submit
from deliberation.proposals.triage import response_clock

PAGE_SIZE = 20


class SignedInRequest(HttpRequest):
    """The request of a view behind ``login_required``: its user is signed in."""

    user: User


def _community(slug: str) -> Community:
    return get_object_or_404(Community, slug=slug)


def proposal_list(request: HttpRequest, community: str) -> HttpResponse:
    place = _community(community)
    filters = proposal_selectors.ProposalFilters.from_params(request.GET)
    paginator = Paginator(
        proposal_selectors.proposal_list_public(community=place, filters=filters), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = [(p, proposal_selectors.proposal_public_author(p)) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cms/proposals/list.html",
        {
            "community": place,
            "form": SearchForm(request.GET or None),
            "filters": filters,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_raise": proposal_rules.can_raise_proposal(request.user, place),
        },
    )


def proposal_detail(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    place = _community(community)
    proposal = proposal_selectors.proposal_get_visible(community=place, pk=pk, user=request.user)
    if proposal is None:
        raise Http404(_("没有找到该议题。"))
    options = list(proposal.options.select_related("scope_building"))
    costs = proposal_selectors.option_household_costs(
        proposal=proposal, options=options, user=request.user
    )
    clock = response_clock(
        submitted_at=proposal.submitted_at,
        response_days=place.response_days,
        responded_at=proposal.responded_at,
        now=timezone.now(),
    )
    return render(
        request,
        "cms/proposals/detail.html",
        {
            "community": place,
            "proposal": proposal,
            "author_name": proposal_selectors.proposal_public_author(proposal),
            "options": [(option, costs.get(option.pk)) for option in options],
            "is_owner": bool(costs),
            "photos": list(proposal.photos.all()),
            "timeline": proposal_selectors.proposal_timeline(proposal),
            "clock": clock,
            "can_second": proposal_rules.can_second_proposal(request.user, proposal),
            "seconded": proposal_selectors.proposal_seconded_by(
                proposal=proposal, user=request.user
            ),
        },
    )


@require_POST
@login_required
def proposal_second_view(request: SignedInRequest, community: str, pk: int) -> HttpResponse:
    place = _community(community)
    proposal = proposal_selectors.proposal_get_visible(community=place, pk=pk, user=request.user)
    if proposal is None:
        raise Http404(_("没有找到该议题。"))
    try:
        _second, created = proposal_second(proposal=proposal, user=request.user)
    except DeliberationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已附议。") if created else _("您已附议过该议题。"))
    return HttpResponseRedirect(reverse("proposal-detail", args=[place.slug, proposal.pk]))


@login_required
def proposal_new(request: SignedInRequest, community: str) -> HttpResponse:
    place = _community(community)
    member = scope.member_of(request.user, place)
    if member is None and not request.user.is_superuser:
        return render(request, "cms/proposals/not_member.html", {"community": place}, status=403)
    staff = proposal_rules.can_enter_on_behalf(request.user, place)
    with_options = proposal_rules.can_submit_options(request.user, place)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = ProposalForm(data, files)
    behalf = OnBehalfForm(data, prefix="behalf", community=place) if staff else None
    option_forms = (
        [
            OptionForm(data, files, prefix=f"option-{i}", community=place)
            for i in range(OPTION_SLOTS)
        ]
        if with_options
        else []
    )
    if request.method == "POST":
        valid = form.is_valid()
        valid = (behalf.is_valid() if behalf else True) and valid
        valid = all([f.is_valid() for f in option_forms]) and valid
        if valid:
            proposal = _submit(request, place, member, form, behalf, option_forms)
            if proposal is not None:
                messages.success(
                    request,
                    _("已提交。社区工作人员审核后将公开,并在 %(days)s 天内答复。")
                    % {"days": place.response_days},
                )
                return HttpResponseRedirect(
                    reverse("proposal-detail", args=[place.slug, proposal.pk])
                )
    return render(
        request,
        "cms/proposals/new.html",
        {
            "community": place,
            "form": form,
            "behalf": behalf,
            "option_forms": option_forms,
        },
        status=400 if request.method == "POST" else 200,
    )


def _submit(
    request: SignedInRequest,
    place: Community,
    member: Member | None,
    form: ProposalForm,
    behalf: OnBehalfForm | None,
    option_forms: list[OptionForm],
) -> Proposal | None:
    """Call the service; put its refusals onto the forms so the person loses nothing."""
    data = form.cleaned_data
    author = member
    channel: str = Channel.ONLINE
    entered_by: User | None = None
    if behalf is not None and behalf.cleaned_data.get("on_behalf"):
        author = behalf.cleaned_data.get("author")
        if author is None:
            behalf.add_error("resident", _("本社区没有找到这位居民,请换个写法(例如 3号楼-201)。"))
            return None
        channel = behalf.cleaned_data["channel"]
        entered_by = request.user
    if author is None:
        form.add_error(None, _("您不是本社区成员。"))
        return None
    options = [
        OptionInput(
            title=f.cleaned_data["title"],
            description=f.cleaned_data["description"],
            cost_estimate=f.cleaned_data["cost_estimate"],
            sharing_rule=f.cleaned_data["sharing_rule"],
            paying_party=f.cleaned_data["paying_party"],
            pros=f.cleaned_data["pros"],
            cons=f.cleaned_data["cons"],
            image=f.cleaned_data["image"],
            scope_building=f.cleaned_data["scope_building"],
        )
        for f in option_forms
        if not f.is_blank()
    ]
    try:
        return proposal_submit(
            community=place,
            author=author,
            title=data["title"],
            body=data["body"],
            category=data["category"],
            location=data["location"],
            channel=channel,
            entered_by=entered_by,
            show_full_name=data["show_full_name"] if entered_by is None else None,
            photos=data["photos"],
            options=options,
        )
    except InvalidInput as exc:
        for name, errors in exc.fields.items():
            target = name if name in form.fields else None
            for error in errors:
                if name == "channel" and behalf is not None:
                    behalf.add_error("channel", error)
                else:
                    form.add_error(target, error)
        if not exc.fields:
            form.add_error(None, exc.message)
    except DeliberationError as exc:
        form.add_error(None, exc.message)
    return None
