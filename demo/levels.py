"""Demo levels (issue 14 points 1, 2): a district and a street over the demo community and a
second one, two grids with their workers and heads, the accounts ``street`` (street staff) and
``gridworker`` (grid worker), a box round and a visit log. Idempotent: keyed on natural keys."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from deliberation.grids.services import (
    SlipInput,
    box_round_submit,
    grid_role_set,
    visit_log_create,
    visit_log_to_proposal,
)
from deliberation.models import (
    BoxRound,
    Building,
    Community,
    District,
    Grid,
    GridRoleKind,
    Street,
    User,
    VisitLog,
)
from deliberation.registry.services import building_create, street_staff_set

DEMO_PASSWORD = "sifang-demo-2026"  # noqa: S105 (the demo's published password)
GRIDS = {
    # code: (name, box location, building names)
    "G1": ("第一网格", "1号楼东侧单元门口", ("1号楼", "2号楼", "3号楼")),
    "G2": ("第二网格", "5号楼南门岗亭旁", ("4号楼", "5号楼")),
}


def _account(username: str, display_name: str, phone: str | None = None) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"display_name": display_name}
    )
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
    if phone and not user.phone and not User.objects.filter(phone=phone).exists():
        user.phone = phone
    user.save()
    return user


@transaction.atomic
def seed_levels(community: Community) -> Street:
    """The street over ``community`` and a second community, grids, posts and intake."""
    district, _ = District.objects.update_or_create(code="shifanqu", defaults={"name": "示范区"})
    street, _ = Street.objects.update_or_create(
        code="shifan-jiedao",
        defaults={"district": district, "name": "示范街道", "hotline": "0571-12345"},
    )
    Community.objects.filter(pk=community.pk).update(street=street, hotline="0571-8888-6666")
    community.refresh_from_db()
    second, _ = Community.objects.update_or_create(
        slug="hepingli",
        defaults={
            "name": "和平里社区",
            "district": "示范街道",
            "street": street,
            "hotline": "0571-8888-7777",
            "description": "与民主村同属示范街道的老小区。",
        },
    )
    for name in ("1号楼", "2号楼"):
        if not Building.objects.filter(community=second, name=name).exists():
            building_create(community=second, actor=None, name=name, code=name[0])

    street_user = _account("street", "赵指挥")
    street_staff_set(street=street, user=street_user, title="社会治理指挥中心")
    committee = User.objects.get(username="committee")
    worker = _account("gridworker", "吴海燕", phone="13800138000")

    grids: dict[str, Grid] = {}
    for code, (name, box, buildings) in GRIDS.items():
        grid, _ = Grid.objects.update_or_create(
            community=community, code=code, defaults={"name": name, "box_location": box}
        )
        grids[code] = grid
        for building in Building.objects.filter(community=community, name__in=buildings):
            building.grid = grid
            building.code = building.name.removesuffix("号楼")
            building.save(update_fields=["grid", "code"])
    grid_role_set(
        grid=grids["G1"],
        user=worker,
        kind=GridRoleKind.WORKER,
        actor=committee,
        phone="13800138000",
    )
    grid_role_set(grid=grids["G1"], user=committee, kind=GridRoleKind.LEADER, actor=committee)
    head = User.objects.filter(username="resident-rep").first()
    if head is not None:
        grid_role_set(
            grid=grids["G1"],
            user=head,
            kind=GridRoleKind.BUILDING_HEAD,
            actor=committee,
            phone=head.phone or "",
            buildings=list(Building.objects.filter(community=community, name="1号楼")),
        )
    Grid.objects.update_or_create(
        community=second, code="G1", defaults={"name": "和平里网格", "box_location": "北门"}
    )
    _seed_intake(grids["G1"], worker)
    return street


def _seed_intake(grid: Grid, worker: User) -> None:
    today = timezone.localdate()
    if not BoxRound.objects.filter(grid=grid).exists():
        box_round_submit(
            grid=grid,
            actor=worker,
            opened_on=today,
            slips=[
                SlipInput("2", "2号楼三单元楼道灯坏了快一个月,晚上老人上下楼看不见。"),
                SlipInput("3", "3号楼前的电动车乱停,挡住了消防通道。", name="李阿姨"),
            ],
        )
    if not VisitLog.objects.filter(grid=grid).exists():
        building = Building.objects.filter(community=grid.community, code="1").first()
        entry = visit_log_create(
            grid=grid,
            actor=worker,
            visited_on=today,
            household="1号楼-302 王大爷",
            raised="厨房下水道返味,物业来看过一次没修好。",
            follow_up="约物业周三上门,周五回访。",
            building=building,
        )
        visit_log_to_proposal(entry=entry, actor=worker)
        visit_log_create(
            grid=grid,
            actor=worker,
            visited_on=today,
            household="1号楼-401 张奶奶(独居)",
            raised="",
            follow_up="身体尚好,下月再访。",
            building=building,
        )
