"""Demo of dispatch (派件): three responsible units serving the demo community, each with a staff
account (``unit-water``, ``unit-property``, ``unit-city``; the demo password), and matters
dispatched to them in every state: waiting for a claim, claimed with feedback, returned and sent
on to the right unit and completed, and one left unclaimed past its limit and escalated.

Safe to run again: units and accounts are updated, and matters already seeded are left alone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from deliberation.dispatch import services as dispatch_services
from deliberation.models import (
    Community,
    Member,
    Party,
    Proposal,
    ResponsibleUnit,
    UnitKind,
    UnitStaff,
    User,
)
from deliberation.proposals.services import proposal_publish, proposal_submit
from demo.registry import DEMO_PASSWORD

UNITS = [
    # (account, person, unit name, kind, phone)
    ("unit-water", "孙海燕", "市自来水公司民主村服务站", UnitKind.WATER, "0571-96390"),
    ("unit-property", "吴德明", "安居物业服务有限公司", UnitKind.PROPERTY, "0571-88001234"),
    ("unit-city", "马春生", "示范街道城管中队", UnitKind.CITY_MANAGEMENT, "0571-12319"),
]


def _unit(
    community: Community, username: str, person: str, name: str, kind: str, phone: str
) -> ResponsibleUnit:
    unit, _ = ResponsibleUnit.objects.update_or_create(
        name=name, defaults={"kind": kind, "phone": phone, "is_active": True}
    )
    unit.communities.add(community)
    user, created = User.objects.get_or_create(username=username, defaults={"display_name": person})
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    UnitStaff.objects.get_or_create(unit=unit, user=user, defaults={"title": "调度员"})
    return unit


def _matter(
    community: Community,
    author: Member,
    committee: User,
    title: str,
    body: str,
    category: str,
    location: str,
) -> Proposal | None:
    """A published matter, or None when the demo already holds it (nothing is seeded twice)."""
    if Proposal.objects.filter(community=community, title=title).exists():
        return None
    proposal = proposal_submit(
        community=community,
        author=author,
        title=title,
        body=body,
        category=category,
        location=location,
    )
    return proposal_publish(proposal=proposal, actor=committee)


def seed_dispatch(community: Community) -> None:
    units = {username: _unit(community, username, *rest) for username, *rest in UNITS}
    water, prop, city = units["unit-water"], units["unit-property"], units["unit-city"]
    people = {u: User.objects.get(username=u) for u in units}
    committee = User.objects.get(username="committee")
    authors = list(
        Member.objects.filter(community=community, party=Party.RESIDENT)
        .exclude(user__username="resident-rep")
        .order_by("pk")[:4]
    )
    now = timezone.now()
    hour = dt.timedelta(hours=1)

    waiting = _matter(
        community,
        authors[0],
        committee,
        "3号楼地下室水管漏水",
        "地下室水管一直在滴水,地面有积水。",
        "facilities",
        "3号楼地下室",
    )
    if waiting is not None:
        dispatch_services.dispatch_create(
            proposal=waiting, unit=water, actor=committee, note="请尽快派人查看", now=now - 2 * hour
        )

    claimed = _matter(
        community,
        authors[1],
        committee,
        "东门一带自来水水压低",
        "东门附近几栋楼早晚用水高峰水压很低,热水器打不着火。",
        "facilities",
        "1-2号楼",
    )
    if claimed is not None:
        first = dispatch_services.dispatch_create(
            proposal=claimed, unit=water, actor=committee, now=now - 30 * hour
        )
        dispatch_services.dispatch_claim(
            dispatch=first, actor=people["unit-water"], now=now - 28 * hour
        )
        dispatch_services.dispatch_feedback(
            dispatch=first,
            actor=people["unit-water"],
            note="已到现场测压,初步判断为加压泵老化,已申请更换。",
            now=now - 20 * hour,
        )

    returned = _matter(
        community,
        authors[2],
        committee,
        "小区门口占道经营的早点摊",
        "每天早上门口被早点摊占满,老人出门要绕到机动车道。",
        "safety",
        "小区南门",
    )
    if returned is not None:
        first = dispatch_services.dispatch_create(
            proposal=returned, unit=prop, actor=committee, now=now - 72 * hour
        )
        dispatch_services.dispatch_return(
            dispatch=first,
            actor=people["unit-property"],
            reason="占道经营在小区红线外,属城管职责,建议派城管中队。",
            now=now - 70 * hour,
        )
        second = dispatch_services.dispatch_create(
            proposal=returned, unit=city, actor=committee, now=now - 69 * hour
        )
        dispatch_services.dispatch_claim(
            dispatch=second, actor=people["unit-city"], now=now - 68 * hour
        )
        dispatch_services.dispatch_complete(
            dispatch=second,
            actor=people["unit-city"],
            report="已劝导摊主迁至规定的便民早餐点,并安排每日早高峰巡查。",
            now=now - 40 * hour,
        )

    overdue = _matter(
        community,
        authors[3],
        committee,
        "消防通道长期停放私家车",
        "4号楼旁的消防通道每晚停满私家车,消防车进不来。",
        "safety",
        "4号楼西侧",
    )
    if overdue is not None:
        dispatch_services.dispatch_create(
            proposal=overdue, unit=prop, actor=committee, now=now - 50 * hour
        )
        dispatch_services.escalate_overdue_dispatches(now=now)
