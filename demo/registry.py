"""The demo community, modelled on the 民主村社区 case. Idempotent: keyed on natural keys."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from deliberation.models import (
    Community,
    Member,
    Party,
    Proposal,
    User,
)
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure, roster_import, staff_member_set
from demo.proposals import seed_demo_proposals

DEMO_SLUG = "minzhucun"
DEMO_PASSWORD = "sifang-demo-2026"  # noqa: S105

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = [
    "秀英",
    "桂英",
    "建国",
    "国华",
    "淑珍",
    "志强",
    "丽华",
    "海燕",
    "德明",
    "玉兰",
    "春生",
    "明",
]


@dataclass(frozen=True)
class StaffAccount:
    username: str
    display_name: str
    party: Party
    organisation: str
    title: str


STAFF = [
    StaffAccount("resident-rep", "周秀英", Party.RESIDENT, "居民代表", "楼栋长"),
    StaffAccount("property", "林建国", Party.PROPERTY, "安居物业服务有限公司", "项目经理"),
    StaffAccount("committee", "陈丽华", Party.COMMITTEE, "民主村社区居委会", "主任"),
    StaffAccount("department", "郑志强", Party.DEPARTMENT, "街道城市管理办公室", "科员"),
]


def roster_rows() -> list[dict[str, str]]:
    """About 120 units in 5 buildings; co-owned units, people with several units, unsold units."""
    rows: list[dict[str, str]] = []
    person = 0
    for b in range(1, 6):
        building = f"{b}号楼"
        for floor in range(1, 7):
            for door in range(1, 5):
                number = f"{floor}0{door}"
                area = Decimal("58.30") + Decimal(door * 7) + Decimal(b) + Decimal("0.45")
                if b == 5 and floor == 6:
                    rows.append(
                        {
                            "building": building,
                            "unit": number,
                            "area_m2": str(area),
                            "owner_name": "",
                            "phone": "",
                            "unsold": "1",
                        }
                    )
                    continue
                person += 1
                # Every 17th person also owns the next unit: one owner, several units.
                owner_index = person - 1 if person % 17 == 0 else person
                name = SURNAMES[owner_index % len(SURNAMES)] + GIVEN[owner_index % len(GIVEN)]
                phone = f"139{owner_index:08d}"
                rows.append(
                    {
                        "building": building,
                        "unit": number,
                        "area_m2": str(area),
                        "owner_name": name,
                        "phone": phone,
                        "unsold": "",
                    }
                )
                if person % 9 == 0:  # a co-owner (spouse) on the same unit
                    co = owner_index + 500
                    rows.append(
                        {
                            "building": building,
                            "unit": number,
                            "area_m2": str(area),
                            "owner_name": SURNAMES[co % len(SURNAMES)]
                            + GIVEN[(co + 3) % len(GIVEN)],
                            "phone": f"138{co:08d}",
                            "unsold": "",
                        }
                    )
    return rows


# The role each demo account holds; every party has one account for the demo.
STAFF_ROLES = {
    Party.RESIDENT: Role.RESIDENT,
    Party.PROPERTY: Role.PROPERTY,
    Party.COMMITTEE: Role.FACILITATOR,
    Party.DEPARTMENT: Role.DEPARTMENT,
}
# The resident representative also signs in with a one-time code (console sender in the demo).
RESIDENT_REP_PHONE = "13700000000"


@transaction.atomic
def seed_community() -> Community:
    """The community, its roster (through the roster importer) and one account per party."""
    community, _ = Community.objects.update_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "民主村社区",
            "district": "示范街道",
            "description": (
                "建于上世纪九十年代的老旧小区，五栋楼，居民、物业、居委会和职能部门四方共议。"
            ),
        },
    )
    roster_import(community=community, rows=roster_rows())
    roles_ensure()
    for account in STAFF:
        user, created = User.objects.get_or_create(
            username=account.username, defaults={"display_name": account.display_name}
        )
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
        if account.party == Party.RESIDENT and not user.phone:
            user.phone = RESIDENT_REP_PHONE
        user.save()
        staff_member_set(
            community=community,
            user=user,
            role=STAFF_ROLES[account.party],
            organisation=account.organisation,
            title=account.title,
            is_council_member=True,
        )
    return community


def _member(community: Community, username: str) -> Member:
    return Member.objects.get(community=community, user__username=username)


def seed_proposals(community: Community) -> list[Proposal]:
    """Demo proposals through the proposal services (see ``demo_proposals``): every channel,
    options with each sharing rule, published matters in every triage state. Returns the four
    main matters (parking, charging piles, wall, cables) in that order."""
    return seed_demo_proposals(community)
