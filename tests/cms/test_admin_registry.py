"""Registry administration in the Wagtail admin (issue 12 point 4): scoped by community, every
change and roster import in Wagtail's audit log with who and when, visible in the admin."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import ModelLogEntry

from deliberation.models import Building, Community, Member, Ownership, Party, Unit
from deliberation.registry.audit import ChangeSource, RegistryAction
from deliberation.registry.rules import Role
from deliberation.registry.services import staff_member_set
from tests.factories.base import (
    BuildingFactory,
    CommunityFactory,
    MemberFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VIEWSETS = {
    Community: "registry_community",
    Building: "registry_building",
    Unit: "registry_unit",
    Member: "registry_member",
    Ownership: "registry_ownership",
}


def url(model: type, view: str, *args: object) -> str:
    return reverse(f"{VIEWSETS[model]}:{view}", args=args)


def staff(community: Community, role: str, **fields: object):
    user = UserFactory(**fields)
    staff_member_set(community=community, user=user, role=role)
    return user


class Estate:
    """One community's registry: a building, a unit with an owner."""

    def __init__(self, slug: str) -> None:
        self.community = CommunityFactory(slug=slug, name=f"{slug}社区")
        self.building = BuildingFactory(community=self.community, name=f"{slug}-1号楼")
        self.unit = UnitFactory(building=self.building, number="101", floor=1)
        self.ownership = OwnershipFactory(unit=self.unit)
        self.member = self.ownership.member

    def objects(self) -> dict[type, object]:
        return {
            Community: self.community,
            Building: self.building,
            Unit: self.unit,
            Member: self.member,
            Ownership: self.ownership,
        }


@pytest.fixture
def estates():
    return Estate("nantang"), Estate("minzhu")


@pytest.fixture
def committee_a(estates, client):
    user = staff(estates[0].community, Role.FACILITATOR, display_name="王主任")
    client.force_login(user)
    return user


def refused(response) -> bool:
    """403/404, or Wagtail's answer to a PermissionDenied: back to the dashboard with a message."""
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response.url == reverse("wagtailadmin_home")


def entries(instance, action: RegistryAction):
    return ModelLogEntry.objects.for_instance(instance).filter(action=action)


def unit_form(unit: Unit, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "building": unit.building_id,
        "number": unit.number,
        "floor": unit.floor,
        "area_m2": unit.area_m2,
        "area_source": unit.area_source,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not False}


def community_form(community: Community, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        name: getattr(community, name)
        for name in (
            "name",
            "district",
            "description",
            "response_days",
            "resolution_days",
            "rating_window_days",
            "reopen_dissatisfied_share",
            "objection_days",
            "deem_nonvoters_clause",
            "speech_seconds",
            "speeches_per_item",
            "quorum_share",
        )
    }
    if community.deem_nonvoters_majority:
        data["deem_nonvoters_majority"] = "on"
    data.update(overrides)
    return data


# --- scope ----------------------------------------------------------------------------------------


def test_committee_staff_list_and_open_their_own_community_only(
    estates, committee_a, client, django_assert_max_num_queries
):
    own, other = estates
    for model, obj in own.objects().items():
        with django_assert_max_num_queries(55):
            listing = client.get(url(model, "index"))
        assert listing.status_code == 200, model
        assert str(obj) in listing.content.decode(), model
        assert str(other.objects()[model]) not in listing.content.decode(), model
        assert client.get(url(model, "edit", obj.pk)).status_code == 200, model
        assert client.get(url(model, "history", obj.pk)).status_code == 200, model
    for model, obj in other.objects().items():
        for view in ("edit", "history", "usage"):
            assert refused(client.get(url(model, view, obj.pk))), (model, view)


def test_property_department_staff_and_residents_are_refused(estates, client):
    own, _other = estates
    for role in (Role.PROPERTY, Role.DEPARTMENT):
        client.force_login(staff(own.community, role))
        for model, obj in own.objects().items():
            assert refused(client.get(url(model, "index"))), (role, model)
            assert refused(client.get(url(model, "edit", obj.pk))), (role, model)
            assert refused(client.get(url(model, "history", obj.pk))), (role, model)
    client.force_login(own.member.user)  # a resident: no admin access at all
    response = client.get(url(Unit, "index"))
    assert response.status_code in (302, 403) and "login" in response.get("Location", "login")


def test_another_communitys_object_cannot_be_changed_by_post(estates, committee_a, client):
    _own, other = estates
    response = client.post(url(Unit, "edit", other.unit.pk), unit_form(other.unit, area_m2="1.00"))
    assert refused(response)
    other.unit.refresh_from_db()
    assert other.unit.area_m2 == Decimal("88.50")


def test_forms_offer_only_the_own_community_and_cannot_move_objects(estates, committee_a, client):
    own, other = estates
    # A building cannot be created in, or moved to, another community.
    response = client.post(
        url(Building, "add"), {"community": other.community.pk, "name": "9号楼", "floors": 6}
    )
    assert response.status_code == 200
    assert not Building.objects.filter(name="9号楼").exists()
    client.post(
        url(Building, "edit", own.building.pk),
        {"community": other.community.pk, "name": own.building.name, "floors": 7},
    )
    own.building.refresh_from_db()
    assert own.building.community == own.community and own.building.floors == 7
    # A unit cannot be put into another community's building.
    client.post(url(Unit, "edit", own.unit.pk), unit_form(own.unit, building=other.building.pk))
    own.unit.refresh_from_db()
    assert own.unit.building == own.building
    # An owner must be a member of the unit's community.
    client.post(url(Ownership, "add"), {"unit": own.unit.pk, "member": other.member.pk})
    assert not Ownership.objects.filter(unit=own.unit, member=other.member).exists()


# --- writes and their audit log ---------------------------------------------------------------


def test_a_change_is_logged_with_its_user_and_shown_in_the_history(estates, committee_a, client):
    own, _other = estates
    response = client.post(
        url(Unit, "edit", own.unit.pk), unit_form(own.unit, area_m2="90.25", area_source="surveyed")
    )
    assert response.status_code == 302
    own.unit.refresh_from_db()
    assert own.unit.area_m2 == Decimal("90.25") and own.unit.area_source == "surveyed"
    entry = entries(own.unit, RegistryAction.UPDATE).get()
    assert entry.user == committee_a
    assert entry.data["changes"]["area_m2"] == ["88.50", "90.25"]
    assert entry.data["source"] == ChangeSource.ADMIN
    history = client.get(url(Unit, "history", own.unit.pk)).content.decode()
    assert committee_a.get_username() in history and "88.50 → 90.25" in history


def test_the_deemed_clause_needs_the_cited_clause(estates, committee_a, client):
    own, _other = estates
    response = client.post(
        url(Community, "edit", own.community.pk),
        community_form(own.community, deem_nonvoters_majority="on", deem_nonvoters_clause=" "),
    )
    assert response.status_code == 200
    assert "请引用业主大会已通过的管理规约或议事规则" in response.content.decode()
    own.community.refresh_from_db()
    assert own.community.deem_nonvoters_majority is False
    assert not entries(own.community, RegistryAction.UPDATE).exists()

    response = client.post(
        url(Community, "edit", own.community.pk),
        community_form(
            own.community,
            deem_nonvoters_majority="on",
            deem_nonvoters_clause="管理规约第十二条",
            rating_window_days=20,
        ),
    )
    assert response.status_code == 302
    own.community.refresh_from_db()
    assert own.community.deem_nonvoters_majority and own.community.rating_window_days == 20
    changes = entries(own.community, RegistryAction.UPDATE).get().data["changes"]
    assert set(changes) == {
        "deem_nonvoters_majority",
        "deem_nonvoters_clause",
        "rating_window_days",
    }


def test_role_change_goes_through_the_service_and_is_logged(estates, committee_a, client):
    own, _other = estates
    member = own.member
    response = client.post(
        url(Member, "edit", member.pk),
        {"role": Role.PROPERTY, "organisation": "某物业公司", "title": "经理", "verified": "on"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.party == Party.PROPERTY and member.organisation == "某物业公司"
    assert member.user.groups.filter(name=Role.PROPERTY).exists()
    role_entry = entries(member, RegistryAction.ROLE_SET).get()
    assert role_entry.user == committee_a
    assert role_entry.data["role"] == Role.PROPERTY and role_entry.data["previous"] == Role.RESIDENT
    # Back to resident: the staff group and flag go, as no other seat needs them.
    client.post(url(Member, "edit", member.pk), {"role": Role.RESIDENT, "verified": "on"})
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.party == Party.RESIDENT
    assert not member.user.groups.filter(name=Role.PROPERTY).exists()
    assert not member.user.is_staff


def test_adding_and_removing_an_owner_is_logged_on_the_unit(estates, committee_a, client):
    own, _other = estates
    newcomer = MemberFactory(community=own.community)
    response = client.post(url(Ownership, "add"), {"unit": own.unit.pk, "member": newcomer.pk})
    assert response.status_code == 302
    ownership = Ownership.objects.get(unit=own.unit, member=newcomer)
    client.post(url(Ownership, "delete", ownership.pk))
    assert not Ownership.objects.filter(pk=ownership.pk).exists()
    actions = list(
        ModelLogEntry.objects.for_instance(own.unit).order_by("pk").values_list("action", "user")
    )
    assert actions == [
        (RegistryAction.OWNERSHIP_ADD, committee_a.pk),
        (RegistryAction.OWNERSHIP_REMOVE, committee_a.pk),
    ]


def test_adding_a_member_by_phone_is_logged(estates, committee_a, client):
    own, _other = estates
    response = client.post(
        url(Member, "add"),
        {
            "community": own.community.pk,
            "phone": "13900001111",
            "display_name": "赵六",
            "role": Role.RESIDENT,
        },
    )
    assert response.status_code == 302
    member = Member.objects.get(community=own.community, user__phone="13900001111")
    assert entries(member, RegistryAction.CREATE).get().user == committee_a


def test_roster_import_through_the_admin_is_logged_with_counts(estates, committee_a, client):
    own, _other = estates
    roster = (
        "building,unit,area_m2,owner_name,phone\n"
        "8号楼,101,80.00,张三,13800000001\n"
        "8号楼,102,90.50,李四,13800000002\n"
    ).encode()
    response = client.post(
        reverse("deliberation_roster_upload"),
        {
            "community": own.community.pk,
            "file": SimpleUploadedFile("roster.csv", roster, content_type="text/csv"),
        },
    )
    assert response.status_code == 302
    entry = entries(own.community, RegistryAction.ROSTER_IMPORT).get()
    assert entry.user == committee_a
    assert entry.data["units_created"] == 2 and entry.data["ownerships_added"] == 2
    assert entry.data["filename"] == "roster.csv"
    history = client.get(url(Community, "history", own.community.pk)).content.decode()
    assert "roster.csv" in history and "新增房屋 2 户" in history
    # The site history report (Wagtail's, across communities: a superuser's) lists it too.
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    site_history = client.get(reverse("wagtailadmin_reports:site_history"))
    assert site_history.status_code == 200
    assert "导入业主名册" in site_history.content.decode()
    assert "新增房屋 2 户" in site_history.content.decode()


def test_roster_import_from_the_command_line_is_logged_without_a_user(estates, tmp_path):
    own, _other = estates
    path = tmp_path / "roster.csv"
    path.write_text("building,unit,area_m2,owner_name,phone\n8号楼,101,80.00,张三,13800000001\n")
    call_command("import_roster", str(path), "--community", own.community.slug, stdout=StringIO())
    entry = entries(own.community, RegistryAction.ROSTER_IMPORT).get()
    assert entry.user is None and entry.data["source"] == ChangeSource.COMMAND
    assert "命令行" in entry.message
