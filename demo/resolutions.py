"""Demo resolutions in every state (in progress, overdue, completed and rated, reopened by staff,
reopened automatically after dissatisfied ratings, completed again), with generated progress
photos and ratings, spread over the last months so the metrics page is meaningful.

Idempotent: each demo matter is found by its title; a matter that already has its resolution is
left as it is, so running ``seed_demo`` twice gives the same data.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from deliberation.models import (
    Category,
    Channel,
    Community,
    FollowUpKind,
    Member,
    Party,
    PhotoStage,
    ProgressUpdate,
    Proposal,
    ProposalStatus,
    Rating,
    Resolution,
    ResolutionTransition,
)
from deliberation.resolutions.services import (
    PhotoInput,
    followup_record,
    progress_post,
    rating_submit,
    resolution_complete,
    resolution_create,
    resolution_reopen,
)


@dataclass
class Spec:
    title: str
    body: str
    category: str
    party: str  # responsible party
    decision: str
    submitted_days_ago: int
    responded_after_days: float | None
    decided_days_ago: int
    deadline_days: int  # after the decision
    progress: list[tuple[int, str, PhotoStage]] = field(
        default_factory=list
    )  # percent, text, stage
    completed_days_ago: int | None = None
    report: str = ""
    ratings: list[str] = field(default_factory=list)
    followup_rating: str = ""
    reopen_reason: str = ""  # staff reopen after the first completion
    second_completion: str = ""


SPECS = [
    Spec(
        title="2号楼楼道灯更换为声控灯",
        body="2号楼楼道灯多处损坏,夜间上下楼不安全。",
        category=Category.FACILITIES,
        party=Party.PROPERTY,
        decision="物业在 20 天内将 2 号楼楼道灯全部更换为声控节能灯。",
        submitted_days_ago=30,
        responded_after_days=1,
        decided_days_ago=20,
        deadline_days=25,
        progress=[(40, "已采购灯具,完成 1—3 层更换。", PhotoStage.BEFORE)],
    ),
    Spec(
        title="小区东门人行道破损修补",
        body="东门人行道砖块松动,老人容易绊倒。",
        category=Category.RENOVATION,
        party=Party.DEPARTMENT,
        decision="街道城管办协调施工单位修补东门人行道。",
        submitted_days_ago=70,
        responded_after_days=5,
        decided_days_ago=60,
        deadline_days=30,
        progress=[(20, "已勘察现场,等待施工队排期。", PhotoStage.BEFORE)],
    ),
    Spec(
        title="中心花园增设休息座椅",
        body="中心花园没有座椅,老人散步后无处休息。",
        category=Category.GREENING,
        party=Party.PROPERTY,
        decision="物业在中心花园增设 6 张休息座椅。",
        submitted_days_ago=80,
        responded_after_days=0.5,
        decided_days_ago=70,
        deadline_days=30,
        progress=[(50, "座椅已订购,基础已浇筑。", PhotoStage.BEFORE)],
        completed_days_ago=45,
        report="6 张座椅已安装完毕,经居民代表验收。",
        ratings=["satisfied", "satisfied", "basic", "satisfied", "satisfied", "basic"],
        followup_rating="satisfied",
    ),
    Spec(
        title="垃圾分类投放点异味整治",
        body="4号楼旁垃圾投放点夏季异味严重。",
        category=Category.SANITATION,
        party=Party.COMMITTEE,
        decision="居委会协调保洁公司每日清运两次并每周消杀。",
        submitted_days_ago=60,
        responded_after_days=2,
        decided_days_ago=50,
        deadline_days=14,
        progress=[(60, "已调整清运班次。", PhotoStage.BEFORE)],
        completed_days_ago=40,
        report="已改为每日清运两次,每周消杀一次。",
        ratings=["dissatisfied", "dissatisfied", "basic", "dissatisfied"],
    ),
    Spec(
        title="5号楼屋顶防水维修",
        body="5号楼顶层住户反映屋顶漏水。",
        category=Category.RENOVATION,
        party=Party.PROPERTY,
        decision="物业使用维修资金对 5 号楼屋顶做防水维修。",
        submitted_days_ago=100,
        responded_after_days=4,
        decided_days_ago=90,
        deadline_days=40,
        progress=[(30, "已搭设脚手架,清理旧防水层。", PhotoStage.BEFORE)],
        completed_days_ago=60,
        report="防水层已重做,闭水试验合格。",
        ratings=["dissatisfied"],
        reopen_reason="雨后 502 室仍有渗水,需返工。",
        second_completion="返工完成,502 室经雨天检验无渗水。",
    ),
    Spec(
        title="消防通道清理与划线",
        body="消防通道被私家车占用。",
        category=Category.SAFETY,
        party=Party.PROPERTY,
        decision="物业清理消防通道并划设禁停标线。",
        submitted_days_ago=40,
        responded_after_days=1,
        decided_days_ago=35,
        deadline_days=10,
        progress=[(80, "已清理占道车辆,划线进行中。", PhotoStage.DURING)],
        completed_days_ago=5,
        report="消防通道已划线并设置禁停标识。",
        ratings=["satisfied", "basic", "satisfied"],
    ),
]


def _photo(stage: PhotoStage, index: int) -> io.BytesIO:
    """A small generated JPEG: grey and cracked before, green and tidy after."""
    colours = {
        PhotoStage.BEFORE: ((120, 110, 100), (60, 50, 45)),
        PhotoStage.DURING: ((200, 170, 90), (120, 90, 30)),
        PhotoStage.AFTER: ((110, 170, 120), (40, 100, 60)),
    }
    background, ink = colours.get(stage, colours[PhotoStage.DURING])
    image = Image.new("RGB", (320, 240), background)
    draw = ImageDraw.Draw(image)
    for i in range(4):
        offset = 30 + i * 50 + index * 7
        if stage == PhotoStage.BEFORE:
            draw.line([(offset, 20), (offset + 40, 220)], fill=ink, width=5)
        else:
            draw.rectangle([offset, 80, offset + 35, 200], fill=ink)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    buffer.name = f"demo-{stage}-{index}.jpg"
    return buffer


def _shift(resolution: Resolution, *, since: dt.datetime, delta: dt.timedelta) -> None:
    """Move the timestamps written from ``since`` on back by ``delta`` (demo history only)."""
    for model, name in (
        (ResolutionTransition, "at"),
        (ProgressUpdate, "created_at"),
        (Rating, "created_at"),
    ):
        for row in model.objects.filter(resolution=resolution, **{f"{name}__gte": since}):
            setattr(row, name, getattr(row, name) - delta)
            row.save(update_fields=[name])
    for followup in resolution.followups.filter(at__gte=since):
        followup.at -= delta
        followup.save(update_fields=["at"])


@transaction.atomic
def seed_resolutions(community: Community) -> list[Resolution]:
    """Demo resolutions for ``community`` (which has the demo staff and resident roster)."""
    staff = {
        m.party: m
        for m in Member.objects.filter(
            community=community, user__username__in=["property", "committee", "department"]
        ).select_related("user")
    }
    residents = list(
        Member.objects.filter(community=community, party=Party.RESIDENT)
        .exclude(user__username="resident-rep")
        .order_by("pk")[:12]
    )
    author = residents[0] if residents else staff[Party.COMMITTEE]
    committee = staff[Party.COMMITTEE].user
    for member in staff.values():  # reminders need an address (console backend in development)
        if not member.user.email:
            member.user.email = f"{member.user.username}@demo.sifang.invalid"
            member.user.save(update_fields=["email"])
    now = timezone.now()
    made = []
    for spec in SPECS:
        proposal, _created = Proposal.objects.update_or_create(
            community=community,
            title=spec.title,
            defaults={
                "body": spec.body,
                "category": spec.category,
                "party": Party.RESIDENT,
                "author": author,
                "channel": Channel.ONLINE,
                "responsible_party": spec.party,
                "status": ProposalStatus.DECIDED,
                "live": True,
            },
        )
        submitted = now - dt.timedelta(days=spec.submitted_days_ago)
        responded = (
            submitted + dt.timedelta(days=spec.responded_after_days)
            if spec.responded_after_days is not None
            else None
        )
        Proposal.objects.filter(pk=proposal.pk).update(
            submitted_at=submitted, responded_at=responded
        )
        existing = Resolution.objects.filter(proposal=proposal).first()
        if existing is not None:
            made.append(existing)
            continue
        actor = staff[spec.party].user
        start = timezone.now()
        resolution = resolution_create(
            proposal=proposal,
            decision=spec.decision,
            responsible_party=spec.party,
            deadline=timezone.localdate()
            - dt.timedelta(days=spec.decided_days_ago)
            + dt.timedelta(days=spec.deadline_days),
            actor=committee,
        )
        for index, (percent, text, stage) in enumerate(spec.progress):
            progress_post(
                resolution=resolution,
                actor=actor,
                text=text,
                percent=percent,
                photos=[PhotoInput(_photo(stage, index), stage=stage, caption=text[:20])],
            )
        if spec.completed_days_ago is not None:
            resolution_complete(
                resolution=resolution,
                actor=actor,
                report=spec.report,
                photos=[PhotoInput(_photo(PhotoStage.AFTER, 0), stage=PhotoStage.AFTER)],
            )
            for member, score in zip(residents, spec.ratings, strict=False):
                resolution.refresh_from_db()
                if resolution.status != "completed":
                    break  # reopened by itself after enough dissatisfied ratings
                rating_submit(
                    resolution=resolution,
                    member=member,
                    score=score,
                    comment={"dissatisfied": "问题没有解决。", "basic": "基本可以。"}.get(
                        score, "办得好。"
                    ),
                )
            if spec.followup_rating and len(residents) > len(spec.ratings):
                followup_record(
                    resolution=resolution,
                    actor=committee,
                    kind=FollowUpKind.CALL,
                    member=residents[len(spec.ratings)],
                    note="电话回访,居民表示满意。",
                    score=spec.followup_rating,
                )
            if spec.reopen_reason:
                resolution_reopen(resolution=resolution, actor=committee, reason=spec.reopen_reason)
                progress_post(resolution=resolution, actor=actor, text="返工中。", percent=50)
                resolution_complete(
                    resolution=resolution,
                    actor=actor,
                    report=spec.second_completion,
                    photos=[PhotoInput(_photo(PhotoStage.AFTER, 1), stage=PhotoStage.AFTER)],
                )
        # Put the history where it belongs in time: decision, updates, completion, ratings.
        resolution.refresh_from_db()
        back = dt.timedelta(days=spec.decided_days_ago)
        _shift(resolution, since=start - dt.timedelta(seconds=5), delta=back)
        fields = {"decided_at": now - back}
        if resolution.completed_at:
            done = now - dt.timedelta(days=spec.completed_days_ago or 0)
            fields["completed_at"] = done
            window = dt.timedelta(days=community.rating_window_days)
            # Completed long ago: the window has closed, except for the most recent one.
            fields["rating_closes_at"] = done + window
            ResolutionTransition.objects.filter(
                resolution=resolution, to_status="completed"
            ).update(at=done)
            ProgressUpdate.objects.filter(resolution=resolution, is_completion=True).update(
                created_at=done
            )
            Rating.objects.filter(resolution=resolution).update(
                created_at=done + dt.timedelta(days=1)
            )
        if resolution.reopened_at:
            fields["reopened_at"] = resolution.reopened_at - back
        Resolution.objects.filter(pk=resolution.pk).update(**fields)
        resolution.refresh_from_db()
        made.append(resolution)
    return made
