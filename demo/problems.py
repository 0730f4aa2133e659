"""Demo common problems for ``seed_demo``: residents of two buildings raise EV bikes charged in the
stairwells in their own words, through several channels; the scan groups them for the committee
to confirm. Idempotent: keyed on the matters' titles. Buildings without a grid get one here, so the
demo works whatever the registry seeded.
"""

from django.db import transaction

from deliberation.models import (
    Building,
    Category,
    Channel,
    Community,
    Grid,
    Member,
    Party,
    Proposal,
)
from deliberation.problems.services import problems_suggest
from deliberation.proposals.services import proposal_submit

# (building, title, body, channel): one problem in residents' words, and one unlike it.
MATTERS = [
    (
        "1号楼",
        "楼道里有人给电动车充电",
        "1号楼三单元楼道里天天有人给电动车充电,很危险。",
        Channel.ONLINE,
    ),
    ("1号楼", "电瓶车飞线充电", "1号楼有住户从窗口拉电线给电瓶车充电,请管一管。", Channel.BOX),
    ("2号楼", "楼道电动自行车充电", "2号楼楼道停着电动自行车充电,存在火灾隐患。", Channel.HOTLINE),
    ("2号楼", "2号楼楼道灯不亮", "2号楼二单元楼道灯坏了一个月了。", Channel.ONLINE),
]


@transaction.atomic
def seed_problems(community: Community) -> None:
    committee = Member.objects.get(community=community, user__username="committee")
    residents = list(
        Member.objects.filter(community=community, party=Party.RESIDENT)
        .exclude(user__username="resident-rep")
        .order_by("pk")[12:16]
    )
    grid = Grid.objects.filter(community=community).order_by("code").first()
    if grid is None:
        grid = Grid.objects.create(community=community, name="第一网格", code="G1")
    Building.objects.filter(community=community, grid__isnull=True).update(grid=grid)
    for (building_name, title, body, channel), author in zip(MATTERS, residents, strict=False):
        if Proposal.objects.filter(community=community, title=title).exists():
            continue
        building = Building.objects.get(community=community, name=building_name)
        matter = proposal_submit(
            community=community,
            author=author,
            title=title,
            body=body,
            category=Category.SAFETY,
            location=building_name,
            channel=channel,
            entered_by=None if channel == Channel.ONLINE else committee.user,
        )
        Proposal.objects.filter(pk=matter.pk).update(building=building, grid_id=building.grid_id)
    problems_suggest()
