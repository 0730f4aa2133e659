"""The test world of the permission matrix (issue 12 point 3): two communities with the same
things in each, and the people who try every URL, API operation and websocket command.

Built through the real services where they exist (submit, publish, schedule, open, close), so
revisions, workflow states and task states are what the application makes; rendered documents
get a small stored PDF instead of a WeasyPrint render (the render is not what is under test).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db.models import Model
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    Page,
    Revision,
    Site,
    Task,
    TaskState,
    Workflow,
    WorkflowState,
)

from cms.access import Who
from cms.services import site_ensure_home
from deliberation.dispatch.services import dispatch_create
from deliberation.models import (
    AreaCheck,
    AreaCheckFinding,
    Category,
    CommonProblem,
    CommonProblemMatter,
    Community,
    Dispatch,
    District,
    Grid,
    GridRole,
    GridRoleKind,
    Member,
    Party,
    Proposal,
    Resolution,
    ResponsibleUnit,
    Street,
    UnitKind,
    UnitStaff,
    User,
    VisitLog,
)
from deliberation.proposals.services import proposal_publish, proposal_submit
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure, staff_member_set, street_staff_set
from deliberation.resolutions.services import resolution_create
from meetings import services as meeting_services
from meetings.documents import MinutesRecord, Notice, NoticeKind, RenderStatus
from meetings.models import Meeting
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
)
from votes import services as vote_services
from votes.models import Electorate, Kind, Method, Poll, ProxyLetter, Rule

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Actor:
    """Who tries a URL: ``community`` is "A", "B" or None; ``party`` a Party value or None."""

    key: str
    community: str | None = None
    party: str | None = None
    owner: bool = False
    # Standing above or below a community without a party in it: "street" (staff of the street
    # over ``over``) or "grid" (grid worker of a grid of ``over``).
    level: str | None = None
    over: str | None = None
    unit: str | None = None  # staff of the responsible unit of community "A"/"B" (no membership)

    @property
    def signed_in(self) -> bool:
        return self.key != "anonymous"

    @property
    def staff(self) -> bool:
        return self.party in (Party.COMMITTEE, Party.PROPERTY, Party.DEPARTMENT)

    @property
    def committee(self) -> bool:
        return self.party == Party.COMMITTEE


ACTORS: tuple[Actor, ...] = (
    Actor("anonymous"),
    Actor("resident", "A", Party.RESIDENT),
    Actor("owner", "A", Party.RESIDENT, owner=True),
    Actor("tenant", "A", Party.RESIDENT),
    Actor("property", "A", Party.PROPERTY),
    Actor("department", "A", Party.DEPARTMENT),
    Actor("committee", "A", Party.COMMITTEE),
    Actor("b_committee", "B", Party.COMMITTEE),
    Actor("b_property", "B", Party.PROPERTY),
    Actor("street", level="street", over="A"),
    Actor("gridworker", level="grid", over="A"),
    Actor("unit", unit="A"),
)

# The grid of community A that the matrix's grid worker works (its building, one unpublished
# matter and one visit-log entry lie in it).
GRID_CODE_A = "GA"
ACTOR_BY_KEY = {actor.key: actor for actor in ACTORS}


@dataclass(frozen=True)
class Target:
    """One object a URL may point at: its community ("A"/"B"/None) and whether it is public."""

    label: str
    obj: Any
    community: str | None
    published: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Side:
    """What one community holds."""

    community: Community
    committee: User
    property: User
    author: Member
    proposal_pub: Proposal
    proposal_unpub: Proposal
    poll_open: Poll
    poll_draft: Poll
    poll_closed: Poll
    meeting_pub: Meeting
    meeting_priv: Meeting
    resolution: Resolution
    minutes: MinutesRecord
    notice: Notice
    building: Any
    unit: Any
    member: Member
    ownership: Any
    proxy_letter: Any
    people: dict[str, User]  # the residents and department staff of A (empty for B)
    dispatch_unit: ResponsibleUnit  # serves this community only
    unit_staff: User
    dispatch: Dispatch  # the published matter, dispatched to ``dispatch_unit``
    problem: Any = None  # a suggested common problem of the two matters
    area_check: Any = None
    street: Any = None
    grid: Any = None
    grid_role: Any = None
    visit: Any = None
    street_staff: Any = None


@dataclass
class World:
    a: Side
    b: Side
    users: dict[str, User]  # actor key -> user (anonymous absent)
    image: Any
    document: Any
    page: Page
    site: Site
    group: Group
    collection: Collection
    redirect: Redirect
    workflow: Workflow
    task: Task
    workflow_state: WorkflowState
    task_state: TaskState
    revision: Revision

    def side(self, letter: str) -> Side:
        return self.a if letter == "A" else self.b


def _staff(community: Community, role: str, name: str) -> User:
    user = UserFactory(username=f"{community.slug}-{name}", display_name=name)
    staff_member_set(community=community, user=user, role=role, organisation=name)
    return User.objects.get(pk=user.pk)


def _image(title: str) -> Any:
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), (30, 120, 200)).save(out, format="PNG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(io.BytesIO(out.getvalue()), name=f"{title}.png")
    )


def _document(title: str) -> Any:
    return get_document_model().objects.create(
        title=title, file=ContentFile(PDF, name=f"{title}.pdf")
    )


def _side(letter: str, district: District) -> Side:
    street = Street.objects.create(
        district=district, name=f"矩阵{letter}街道", code=f"matrix-street-{letter.lower()}"
    )
    community = CommunityFactory(
        name=f"矩阵{letter}社区", slug=f"matrix-{letter.lower()}", street=street
    )
    grid = Grid.objects.create(community=community, name=f"矩阵{letter}网格", code=f"G{letter}")
    committee = _staff(community, Role.FACILITATOR, f"committee{letter}")
    prop = _staff(community, Role.PROPERTY, f"property{letter}")
    author = MemberFactory(community=community, party=Party.RESIDENT)
    building = BuildingFactory(community=community, grid=grid, code="1")
    unit = UnitFactory(building=building, area_m2=Decimal("80.00"))

    def submit(title: str) -> Proposal:
        return proposal_submit(
            community=community,
            author=author,
            title=title,
            body="矩阵测试议题内容",
            category="other",
        )

    # Residents exist before the polls open: a poll's electorate is taken when it opens.
    people: dict[str, User] = {}
    if letter == "A":
        people["department"] = _staff(community, Role.DEPARTMENT, "departmentA")
        rep_member = MemberFactory(
            community=community, party=Party.RESIDENT, is_council_member=True
        )
        rep_member.user.groups.add(Group.objects.get(name=Role.RESIDENT))
        people["resident"] = rep_member.user
        owned = OwnershipFactory(unit=UnitFactory(building=building, area_m2=Decimal("70.00")))
        people["owner"] = owned.member.user
        people["tenant"] = MemberFactory(community=community, party=Party.RESIDENT).user

    unpub = submit(f"{letter}未公开议题")
    Proposal.objects.filter(pk=unpub.pk).update(grid=grid, building=building)
    unpub.refresh_from_db()
    pub = proposal_publish(proposal=submit(f"{letter}已公开议题"), actor=committee)
    agenda = proposal_publish(proposal=submit(f"{letter}议程议题"), actor=committee)
    decided = proposal_publish(proposal=submit(f"{letter}已决议题"), actor=committee)
    for proposal in (agenda, decided):
        Proposal.objects.filter(pk=proposal.pk).update(status="accepted")
    agenda.refresh_from_db()

    def poll(question: str, **kwargs: Any) -> Poll:
        return vote_services.poll_create(
            community=community,
            question=question,
            kind=Kind.DELIBERATIVE,
            electorate=kwargs.pop("electorate", Electorate.RESIDENTS),
            method=Method.SINGLE,
            rule=Rule.PLURALITY,
            actor=committee,
            options=["东侧", "西侧"],
            **kwargs,
        )

    poll_open = vote_services.poll_open(poll=poll(f"{letter}进行中表决"), actor=committee)
    poll_draft = poll(f"{letter}草稿表决")
    poll_closed = vote_services.poll_close(
        poll=vote_services.poll_open(poll=poll(f"{letter}已截止表决"), actor=committee),
        actor=committee,
    )
    meeting_poll = vote_services.poll_create(
        community=community,
        question=f"{letter}会上表决",
        kind=Kind.DELIBERATIVE,
        electorate=Electorate.ATTENDEES,
        method=Method.YESNO,
        rule=Rule.MAJORITY,
        actor=committee,
        proposal=agenda,
    )
    meeting_pub = meeting_services.meeting_schedule(
        community=community,
        title=f"{letter}公开议事会",
        starts_at=timezone.now() + dt.timedelta(hours=1),
        place="社区会议室",
        facilitator=committee,
        actor=committee,
        is_public=True,
        proposals=[agenda],
        polls={agenda.pk: meeting_poll},
    )
    meeting_pub = meeting_services.meeting_open(meeting=meeting_pub, actor=committee)
    meeting_priv = meeting_services.meeting_schedule(
        community=community,
        title=f"{letter}内部议事会",
        starts_at=timezone.now() + dt.timedelta(days=2),
        place="社区会议室",
        facilitator=committee,
        actor=committee,
        is_public=False,
    )
    minutes = MinutesRecord.objects.create(
        meeting=meeting_priv,
        render_status=RenderStatus.OK,
        document=_document(f"{letter}-minutes"),
        rendered_at=timezone.now(),
    )
    resolution = resolution_create(
        proposal=decided,
        decision=f"{letter}由物业一个月内修缮",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=30),
        actor=committee,
    )
    today = timezone.localdate()
    notice = Notice.objects.create(
        community=community,
        year=today.year,
        number=1,
        kind=NoticeKind("vote_result"),  # the value outlives renames of the member
        poll=poll_closed,
        title=f"{letter}表决结果公示",
        issuing_body="居委会",
        posted_from=today,
        posted_until=today + dt.timedelta(days=7),
        content={},
        issued_at=timezone.now(),
        render_status=RenderStatus.OK,
        document=_document(f"{letter}-notice"),
    )
    owner_unit = UnitFactory(building=building, area_m2=Decimal("90.00"))
    dispatch_unit = ResponsibleUnit.objects.create(name=f"矩阵{letter}供水", kind=UnitKind.WATER)
    dispatch_unit.communities.add(community)
    unit_staff = UserFactory(username=f"{community.slug}-unit", display_name=f"unit{letter}")
    UnitStaff.objects.create(unit=dispatch_unit, user=unit_staff)
    dispatch = dispatch_create(proposal=pub, unit=dispatch_unit, actor=committee)
    ownership = OwnershipFactory(unit=owner_unit)
    problem = CommonProblem.objects.create(
        community=community, title=f"{letter}-problem", category=Category.OTHER
    )
    for matter in (pub, unpub):
        CommonProblemMatter.objects.create(problem=problem, proposal=matter)
    area_check = AreaCheck.objects.create(
        community=community, title=f"{letter}-check", category=Category.OTHER, opened_by=committee
    )
    AreaCheckFinding.objects.create(area_check=area_check, building=building)
    worker = UserFactory(username=f"{community.slug}-gridworker", display_name="网格员")
    grid_role = GridRole.objects.create(
        grid=grid, user=worker, kind=GridRoleKind.WORKER, phone="13800000000"
    )
    visit = VisitLog.objects.create(
        grid=grid,
        worker=worker,
        visited_on=timezone.localdate(),
        building=building,
        household=f"{building.name}-101",
        raised="楼道灯不亮",
    )
    street_user = UserFactory(username=f"{community.slug}-street", display_name="指挥中心")
    street_post = street_staff_set(street=street, user=street_user, title="指挥中心")
    people["street"], people["gridworker"] = street_user, worker
    return Side(
        community=community,
        committee=committee,
        property=prop,
        author=author,
        proposal_pub=pub,
        proposal_unpub=unpub,
        poll_open=poll_open,
        poll_draft=poll_draft,
        poll_closed=poll_closed,
        meeting_pub=meeting_pub,
        meeting_priv=meeting_priv,
        resolution=resolution,
        minutes=minutes,
        notice=notice,
        building=building,
        unit=unit,
        member=author,
        ownership=ownership,
        proxy_letter=ProxyLetter.objects.create(
            community=community,
            principal_key="matrix",
            principal_label=f"{letter}委托人",
            holder_name="受托人",
            holder_phone="13800000000",
            scan=ContentFile(b"%PDF-1.4\n%%EOF\n", name="letter.pdf"),
            entered_by=committee,
        ),
        people=people,
        problem=problem,
        area_check=area_check,
        street=street,
        grid=grid,
        grid_role=grid_role,
        visit=visit,
        street_staff=street_post,
        dispatch_unit=dispatch_unit,
        unit_staff=unit_staff,
        dispatch=dispatch,
    )


def build_world() -> World:
    """Both communities and every actor of :data:`ACTORS`."""
    site_ensure_home()
    roles_ensure()
    district = District.objects.create(name="矩阵区", code="matrix-district")
    a, b = _side("A", district), _side("B", district)
    users: dict[str, User] = {"committee": a.committee, "property": a.property}
    users["b_committee"], users["b_property"] = b.committee, b.property
    users.update(a.people)
    users["unit"] = a.unit_staff
    for user in users.values():
        user.refresh_from_db()
    task_state = a.proposal_unpub.current_workflow_task_state
    assert task_state is not None, "submitted matters wait in their moderation task"
    workflow_state = task_state.workflow_state
    revision = a.proposal_unpub.latest_revision
    assert revision is not None
    collection = Collection.get_first_root_node()
    redirect = Redirect.objects.create(old_path="/matrix-old", redirect_link="/")
    return World(
        a=a,
        b=b,
        users=users,
        image=_image("matrix-image"),
        document=a.minutes.document,
        page=Page.objects.filter(depth=2).first() or Page.objects.get(depth=1),
        site=Site.objects.get(is_default_site=True),
        group=Group.objects.get(name=Role.FACILITATOR),
        collection=collection,
        redirect=redirect,
        workflow=workflow_state.workflow,
        task=task_state.task,
        workflow_state=workflow_state,
        task_state=task_state,
        revision=revision,
    )


def targets(world: World, kind: str) -> list[Target]:
    """The objects of ``kind`` a URL is tried against, in both communities."""
    out: list[Target] = []
    for letter in ("A", "B"):
        side = world.side(letter)
        pairs: list[tuple[str, Model | Any, bool]]
        if kind == "proposal":
            pairs = [("pub", side.proposal_pub, True), ("unpub", side.proposal_unpub, False)]
        elif kind == "poll":
            pairs = [("open", side.poll_open, True), ("draft", side.poll_draft, False)]
        elif kind == "meeting":
            pairs = [("pub", side.meeting_pub, True), ("priv", side.meeting_priv, False)]
        elif kind == "community":
            pairs = [("", side.community, True)]
        elif kind in (
            *("resolution", "notice", "building", "unit", "member", "ownership", "proxy_letter"),
            *("grid", "visit", "street", "problem", "area_check", "dispatch", "dispatch_unit"),
        ):
            pairs = [("", getattr(side, kind), True)]
        elif kind == "gridrole":
            pairs = [("", side.grid_role, True)]
        elif kind == "streetstaff":
            pairs = [("", side.street_staff, True)]
        elif kind == "district":
            pairs = [("", side.street.district, True)]
        elif kind == "meeting_minutes":  # minutes exist for the (private) meetings only
            pairs = [("priv", side.meeting_priv, False)]
        elif kind == "minutes":
            pairs = [("", side.minutes, False)]
        else:
            raise KeyError(kind)
        for suffix, obj, published in pairs:
            label = f"{letter}.{kind}" + (f".{suffix}" if suffix else "")
            out.append(Target(label, obj, letter, published))
    return out


# --- what the table's rules allow ----------------------------------------------------------------


def _same(actor: Actor, target: Target | None) -> bool:
    """The actor has a standing in the target's community (any community when there is none)."""
    if target is None or target.community is None:
        return actor.community is not None
    return actor.community == target.community


def _over(actor: Actor, level: str, target: Target | None) -> bool:
    """The actor stands at ``level`` over the target's community (any, without a target)."""
    if actor.level != level:
        return False
    if target is None or target.community is None:
        return True
    return actor.over == target.community


def allows(rule: Who, actor: Actor, target: Target | None) -> bool:
    published = target is None or target.published
    committee_here = actor.committee and _same(actor, target)
    if rule == Who.GRID_OWN:
        return committee_here or _over(actor, "grid", target)
    if rule == Who.GRID_OF_OBJECT:
        grid = getattr(target.obj, "grid", None) if target else None
        in_grid = grid is not None and grid.code == GRID_CODE_A and target.community == "A"  # type: ignore[union-attr]
        return committee_here or (_over(actor, "grid", target) and in_grid)
    if rule == Who.SUPERVISOR_OWN:
        return committee_here or _over(actor, "street", target)
    if rule == Who.STREET:
        return actor.level == "street"
    if rule in (Who.PUBLIC, Who.SIGN_IN_STEP):
        return True
    if rule == Who.SIGNED_IN:
        return actor.signed_in
    if rule == Who.VISIBLE:
        return published or (actor.staff and _same(actor, target))
    if rule == Who.VISIBLE_COMMITTEE:
        return published or (actor.committee and _same(actor, target))
    if rule == Who.VISIBLE_MEMBER:
        return published or _same(actor, target)
    if rule == Who.MEMBER:
        return _same(actor, target)
    if rule == Who.RESIDENT_OWN:
        return actor.party == Party.RESIDENT and _same(actor, target) and published
    if rule == Who.ADMIN:  # street staff hold admin access; grid workers do not
        return actor.staff or actor.level == "street"
    if rule == Who.STAFF_OWN:
        return actor.staff and _same(actor, target)
    if rule == Who.COMMITTEE_OWN:
        return actor.committee and _same(actor, target)
    if rule == Who.COMMITTEE_OWN_LIVE:
        return actor.committee and _same(actor, target) and published
    if rule == Who.CANVASSER_OWN:  # no actor canvasses here: tests/cms/campaign covers them
        return actor.committee and _same(actor, target) and published
    if rule == Who.ASSIGNED_PARTY_OWN:
        responsible = getattr(target.obj, "responsible_party", None) if target else None
        return _same(actor, target) and actor.staff and actor.party == responsible
    if rule == Who.SUPERUSER_ONLY:
        return False
    if rule == Who.DISPATCHER_OWN:
        return committee_here or _over(actor, "street", target)
    if rule == Who.STREET_STAFF:  # street staff over the object's community (any, without one)
        return _over(actor, "street", target)
    if rule == Who.UNIT_STAFF:
        return actor.unit is not None
    if rule == Who.UNIT_STAFF_OWN:
        return actor.unit is not None and target is not None and actor.unit == target.community
    raise AssertionError(rule)


__all__ = ["ACTORS", "ACTOR_BY_KEY", "Actor", "Target", "World", "allows", "build_world", "targets"]
