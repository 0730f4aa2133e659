"""Demo proposals for ``seed_demo``, made through the real services: every channel, options
with each sharing rule, and published matters in every triage state (submitted, accepted,
answered, rejected, merged, scheduled, not adopted). ``decided`` ones come with resolutions from
``demo_resolutions``. Idempotent: keyed on title; an existing matter is left where it is (other
seeds move proposals on), only made public and accepted if it was not yet.
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from deliberation.models import (
    Category,
    Channel,
    Community,
    Member,
    Party,
    Proposal,
    ProposalStatus,
    ProposalTransition,
    SharingRule,
    User,
)
from deliberation.proposals.services import (
    OptionInput,
    proposal_accept,
    proposal_answer,
    proposal_merge,
    proposal_publish,
    proposal_reject,
    proposal_second,
    proposal_submit,
    proposal_transition,
)

PARKING = "小区停车管理方案(三选一)"
CHARGING = "在3号楼北侧加装电动自行车充电桩"
WALL = "沿街围墙改为通透式栏杆"
CABLES = "架空线缆入地整治"


@dataclass
class Spec:
    title: str
    body: str
    author: str  # "property", "committee", "department" or "resident:<n>"
    category: str
    location: str = ""
    channel: str = Channel.ONLINE
    entered: bool = False  # entered by community staff on the resident's behalf
    photo: bool = False
    options: list[OptionInput] = field(default_factory=list)
    # What happens after intake: a list of (action, kwargs) run through the services.
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    publish: bool = True
    days_ago: int = 0


ACCEPT: tuple[str, dict[str, Any]] = ("accept", {})

MAIN = [
    Spec(
        PARKING,
        "小区车位不足,夜间乱停影响消防通道。物业提出三个停车管理方案供业主共同决定。",
        "property",
        Category.PARKING,
        "小区主干道及中心花园周边",
        options=[
            OptionInput(
                "方案一:划线停车、按月收费",
                description="在主干道一侧划线设置 60 个车位,按月收取停车费用于维护。",
                cost_estimate=Decimal("36000"),
                sharing_rule=SharingRule.AREA,
                pros="车位清晰,收费用于维护",
                cons="需收取停车费",
            ),
            OptionInput(
                "方案二:错时共享周边单位车位",
                description="与周边两家单位签订错时停车协议,夜间开放 80 个车位。",
                cost_estimate=Decimal("8000"),
                sharing_rule=SharingRule.EQUAL,
                pros="费用最低,不占绿地",
                cons="夜间需步行到周边单位",
            ),
            OptionInput(
                "方案三:改造中心花园为立体停车",
                description="在中心花园建设两层立体停车设施,由物业投资建设。",
                cost_estimate=Decimal("480000"),
                sharing_rule=SharingRule.PARTY,
                paying_party=Party.PROPERTY,
                pros="车位最多",
                cons="占用绿地,费用高,需业主共同决定",
            ),
        ],
        steps=[ACCEPT],
        days_ago=12,
    ),
    Spec(
        CHARGING,
        "居民来电反映:电动自行车在楼道充电有火灾隐患,希望在3号楼北侧集中安装充电桩。",
        "resident:0",
        Category.CHARGING,
        "3号楼北侧空地",
        channel=Channel.HOTLINE,
        entered=True,
        steps=[ACCEPT],
        days_ago=10,
    ),
    Spec(
        WALL,
        "南侧围墙老化、遮挡视线,建议改为通透式栏杆,改善采光和安全。",
        "committee",
        Category.RENOVATION,
        "小区南侧沿街围墙",
        channel=Channel.MEETING,
        steps=[ACCEPT],
        days_ago=9,
    ),
    Spec(
        CABLES,
        "楼间架空的通信和电力线缆杂乱,存在安全隐患,建议结合老旧小区改造统一入地。",
        "department",
        Category.SAFETY,
        "1至5号楼之间",
        options=[
            OptionInput(
                "随老旧小区改造统一入地",
                cost_estimate=Decimal("260000"),
                sharing_rule=SharingRule.PARTY,
                paying_party=Party.DEPARTMENT,
                pros="财政资金,居民不出钱",
                cons="需等待改造批次",
            ),
            OptionInput(
                "先行整理捆扎,明年入地",
                cost_estimate=Decimal("12000"),
                sharing_rule=SharingRule.EQUAL,
                pros="见效快",
                cons="只是临时措施",
            ),
        ],
        steps=[ACCEPT],
        days_ago=8,
    ),
]

EXTRA = [
    Spec(
        "3号楼门口井盖破损",
        "随手拍:3号楼单元门口的井盖破了一角,老人晚上容易绊倒。",
        "resident:1",
        Category.SAFETY,
        "3号楼单元门口",
        channel=Channel.PHOTO,
        entered=True,
        photo=True,
        steps=[("accept", {"category": Category.SAFETY, "responsible_party": Party.PROPERTY})],
        days_ago=4,
    ),
    Spec(
        "楼道堆放杂物清理",
        "意见箱来信:2号楼楼道里堆了纸箱和旧家具,影响通行。",
        "resident:2",
        Category.SANITATION,
        "2号楼各单元楼道",
        channel=Channel.BOX,
        entered=True,
        steps=[("answer", {"answer": "已通知物业,三日内清理完毕,并在楼道张贴提示。"})],
        days_ago=6,
    ),
    Spec(
        "在小区内开设棋牌室",
        "建议把自行车棚改成棋牌室,方便老人活动。",
        "resident:3",
        Category.FACILITIES,
        "自行车棚",
        steps=[
            (
                "reject",
                {
                    "reason": "改变共有部分用途需由业主共同决定(民法典第二百七十八条),"
                    "请先征集业主意见后再提出。"
                },
            )
        ],
        days_ago=7,
    ),
    Spec(
        "夜间车辆乱停挡住消防通道",
        "每天晚上九点后主干道两侧停满车,消防车进不来。",
        "resident:4",
        Category.PARKING,
        "小区主干道",
        steps=[("merge", {"into": PARKING})],
        days_ago=5,
    ),
    Spec(
        "中心花园增设健身器材",
        "中心花园只有两件健身器材,且已生锈,希望增设并更换。",
        "resident:5",
        Category.GREENING,
        "中心花园",
        channel=Channel.VISIT,
        entered=True,
        steps=[ACCEPT, ("scheduled", {})],
        days_ago=11,
    ),
    Spec(
        "把中心花园改建为停车场",
        "停车太难,建议把中心花园全部改成停车场。",
        "resident:6",
        Category.PARKING,
        "中心花园",
        steps=[ACCEPT, ("scheduled", {}), ("not_adopted", {})],
        days_ago=30,
    ),
    Spec(
        "2号楼屋顶漏水",
        "2号楼顶层住户反映下雨天屋顶漏水,墙面发霉。",
        "resident:7",
        Category.RENOVATION,
        "2号楼顶层",
        days_ago=1,
    ),
    Spec(
        "垃圾清运不及时",
        "最近一周垃圾房经常满溢,清运不及时,气味很大。",
        "resident:8",
        Category.SANITATION,
        "垃圾房",
        channel=Channel.HOTLINE,
        entered=True,
        publish=False,  # still in moderation, and overdue: shows in the triage queue
        days_ago=5,
    ),
]


def _photo() -> SimpleUploadedFile:
    image = Image.new("RGB", (1200, 900), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((300, 200, 900, 800), fill=(60, 60, 60), outline=(230, 200, 40), width=12)
    draw.polygon([(600, 200), (900, 500), (750, 320)], fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return SimpleUploadedFile("manhole.jpg", out.getvalue(), content_type="image/jpeg")


def _author(community: Community, key: str, residents: list[Member]) -> Member:
    if key.startswith("resident:"):
        return residents[int(key.split(":")[1]) % len(residents)]
    return Member.objects.get(community=community, user__username=key)


def _run_steps(spec: Spec, proposal: Proposal, community: Community, actor: User) -> None:
    for action, kwargs in spec.steps:
        if action == "accept":
            proposal_accept(
                proposal=proposal,
                actor=actor,
                category=kwargs.get("category", spec.category),
                responsible_party=kwargs.get("responsible_party", _default_party(spec)),
            )
        elif action == "answer":
            proposal_answer(proposal=proposal, actor=actor, answer=kwargs["answer"])
        elif action == "reject":
            proposal_reject(proposal=proposal, actor=actor, reason=kwargs["reason"])
        elif action == "merge":
            target = Proposal.objects.get(community=community, title=kwargs["into"])
            proposal_merge(proposal=proposal, actor=actor, into=target, note="同类问题合并办理")
        else:
            proposal_transition(proposal=proposal, to_status=action, actor=actor)


def _default_party(spec: Spec) -> str:
    if spec.category in (Category.SAFETY, Category.SANITATION, Category.PARKING):
        return Party.PROPERTY
    if spec.author == "department":
        return Party.DEPARTMENT
    return Party.COMMITTEE


def _backdate(proposal: Proposal, submitted_at: datetime, now: datetime) -> None:
    """Spread a freshly seeded matter's history over the days since ``submitted_at``: intake,
    publication half a day later, then one step a day, never later than ``now``. Demo data
    only; real timestamps come from the services."""
    steps = list(proposal.transitions.order_by("at", "pk"))
    times = [min(now, submitted_at + timedelta(days=index)) for index in range(len(steps))]
    for step, at in zip(steps, times, strict=True):
        ProposalTransition.objects.filter(pk=step.pk).update(at=at)
    published_at = submitted_at + timedelta(hours=12) if proposal.live else None
    Proposal.objects.filter(pk=proposal.pk).update(
        submitted_at=submitted_at,
        responded_at=times[1] if len(times) > 1 else None,
        first_published_at=published_at,
        last_published_at=published_at,
    )
    proposal.refresh_from_db()


@transaction.atomic
def seed_demo_proposals(community: Community) -> list[Proposal]:
    """Create the demo matters; returns the four main ones (the meeting's agenda) in order."""
    committee = Member.objects.get(community=community, user__username="committee")
    residents = list(
        Member.objects.filter(community=community, party=Party.RESIDENT)
        .exclude(user__username="resident-rep")
        .order_by("pk")[:12]
    )
    now = timezone.now()
    main: list[Proposal] = []
    for spec in MAIN + EXTRA:
        proposal = Proposal.objects.filter(community=community, title=spec.title).first()
        if proposal is None:
            author = _author(community, spec.author, residents)
            proposal = proposal_submit(
                community=community,
                author=author,
                title=spec.title,
                body=spec.body,
                category=spec.category,
                location=spec.location,
                channel=spec.channel,
                entered_by=committee.user if spec.entered else None,
                photos=[_photo()] if spec.photo else [],
                options=spec.options,
            )
            if spec.publish:
                proposal_publish(proposal=proposal, actor=committee.user, note="内容属实,同意公开")
            _run_steps(spec, proposal, community, committee.user)
            _backdate(proposal, now - timedelta(days=spec.days_ago, hours=3), now)
        else:
            # Seeded before (or by older code): make sure it is public and triaged once.
            if spec.publish and not proposal.live:
                proposal_publish(proposal=proposal, actor=committee.user)
            if spec in MAIN and proposal.status == ProposalStatus.SUBMITTED:
                _run_steps(spec, proposal, community, committee.user)
        if spec in MAIN:
            main.append(proposal)
    charging = main[1]
    for neighbour in residents[:7]:
        if charging.live and charging.status in (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED):
            proposal_second(proposal=charging, user=neighbour.user)
    return main
