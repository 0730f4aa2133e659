"""The roster importer (issue 3 point 1): good and bad CSV and XLSX files, all-or-nothing."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from deliberation.models import AreaSource, Building, Member, Ownership, Party, Unit, User
from deliberation.registry.roster import RosterInvalid, floor_from_unit_number, parse_roster
from deliberation.registry.services import roster_import
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory

HEADER = ["building", "unit", "area_m2", "owner_name", "phone", "area_source", "unsold"]
GOOD_ROWS = [
    ["1号楼", "101", "88.50", "王秀英", "13900000001", "", ""],
    ["1号楼", "101", "88.50", "李建国", "13900000002", "", ""],  # co-owner of 101
    ["1号楼", "102", "76.25", "王秀英", "13900000001", "surveyed", ""],  # several units
    ["1号楼", "1203", "120", "张淑珍", "139 0000 0003", "contract", "0"],
    ["2号楼", "601", "99.99", "", "", "", "1"],  # developer's unsold unit
]


def csv_bytes(rows: list[list[str]], *, header: list[str] = HEADER, bom: bool = False) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def xlsx_bytes(rows: list[list[object]], *, header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_of(data: bytes, **kwargs: str) -> list[tuple[int, str]]:
    parsed = parse_roster(data, **kwargs)
    return [(p.line, p.message) for p in parsed.problems]


def registry_counts() -> tuple[int, int, int, int, int]:
    return (
        Building.objects.count(),
        Unit.objects.count(),
        User.objects.count(),
        Member.objects.count(),
        Ownership.objects.count(),
    )


# --- parsing (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_good_csv_parses_with_and_without_bom(bom):
    parsed = parse_roster(csv_bytes(GOOD_ROWS, bom=bom))
    assert parsed.problems == []
    assert [r.line for r in parsed.rows] == [2, 3, 4, 5, 6]
    first = parsed.rows[0]
    assert (first.building, first.unit, first.area_m2, first.phone) == (
        "1号楼",
        "101",
        Decimal("88.50"),
        "13900000001",
    )
    assert parsed.rows[3].phone == "13900000003"  # spaces removed
    assert parsed.rows[3].floor == 12
    assert parsed.rows[3].area_source == AreaSource.CONTRACT
    assert parsed.rows[4].unsold is True and parsed.rows[4].owner_name == ""


def test_good_xlsx_parses_numbers_stored_as_numbers():
    rows = [
        ["1号楼", 101, 88.5, "王秀英", 13900000001, None, None],
        ["1号楼", "102", 76.25, "李建国", "13900000002", "测绘", None],
        ["2号楼", 601, 99.99, None, None, None, 1],
    ]
    parsed = parse_roster(xlsx_bytes(rows), filename="名册.xlsx")
    assert parsed.problems == []
    assert [(r.unit, r.area_m2, r.phone) for r in parsed.rows] == [
        ("101", Decimal("88.50"), "13900000001"),
        ("102", Decimal("76.25"), "13900000002"),
        ("601", Decimal("99.99"), ""),
    ]
    assert parsed.rows[1].area_source == AreaSource.SURVEYED
    assert parsed.rows[2].unsold is True


def test_chinese_column_names_are_accepted():
    header = ["楼栋", "房号", "面积", "业主姓名", "手机号"]
    parsed = parse_roster(
        csv_bytes([["3号楼", "201", "66.6", "赵德明", "13700000009"]], header=header)
    )
    assert parsed.problems == []
    assert parsed.rows[0].owner_name == "赵德明"


def test_every_bad_row_is_reported_with_its_line_number():
    rows = [
        ["1号楼", "101", "88.50", "王秀英", "13900000001", "", ""],  # line 2 fine
        ["1号楼", "102", "abc", "李建国", "13900000002", "", ""],  # 3 bad area
        ["1号楼", "103", "-5", "张淑珍", "13900000003", "", ""],  # 4 area not positive
        ["1号楼", "104", "70.123", "刘明", "13900000004", "", ""],  # 5 too many decimals
        ["1号楼", "105", "70", "陈明", "12345", "", ""],  # 6 bad phone
        ["1号楼", "101", "88.50", "王秀英", "13900000001", "", ""],  # 7 duplicate of line 2
        ["1号楼", "106", "70", "", "13900000006", "", ""],  # 8 missing owner name
        ["1号楼", "107", "70", "周明", "13900000001", "", ""],  # 9 phone belongs to 王秀英
        ["2号楼", "601", "70", "吴明", "13900000007", "", "1"],  # 10 unsold with an owner
        ["1号楼", "108", "70", "郑明", "13900000008", "bogus", ""],  # 11 bad area source
        ["1号楼", "101", "90.00", "孙明", "13900000009", "", ""],  # 12 area differs from line 2
        ["", "109", "70", "马明", "13900000010", "", ""],  # 13 missing building
    ]
    problems = problems_of(csv_bytes(rows))
    lines = sorted({line for line, _message in problems})
    assert lines == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    by_line = dict(problems)
    assert "不是数字" in by_line[3]
    assert "大于 0" in by_line[4]
    assert "两位小数" in by_line[5]
    assert "手机号" in by_line[6] and "12345" in by_line[6]
    assert "第 2 行重复" in by_line[7]
    assert "业主姓名" in by_line[8]
    assert "王秀英" in by_line[9]
    assert "未售" in by_line[10]
    assert "bogus" in by_line[11]
    assert "第 2 行不一致" in by_line[12]
    assert "楼栋" in by_line[13]


def test_line_numbers_count_blank_and_multiline_lines():
    text = (
        "building,unit,area_m2,owner_name,phone\r\n"
        "\r\n"  # line 2 blank
        '1号楼,101,88.5,"王\n秀英",13900000001\r\n'  # lines 3-4: a quoted line break
        "1号楼,102,xx,李建国,13900000002\r\n"  # line 5
    )
    assert [line for line, _m in problems_of(text.encode())] == [5]


def test_xlsx_bad_rows_report_sheet_row_numbers():
    rows = [
        ["1号楼", 101, 88.5, "王秀英", 13900000001, None, None],
        ["1号楼", 102, "八十", "李建国", 13900000002, None, None],
        ["1号楼", 103, 70, "张淑珍", 1390000, None, None],
    ]
    problems = problems_of(xlsx_bytes(rows))
    assert [line for line, _m in problems] == [3, 4]


def test_missing_columns_are_named():
    data = csv_bytes([["1号楼", "101", "88.5"]], header=["building", "unit", "area_m2"])
    problems = problems_of(data)
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 1
    assert "owner_name" in message and "phone" in message


def test_files_that_are_not_rosters_get_a_clear_error():
    assert "UTF-8" in problems_of("楼栋,房号\n".encode("gbk"))[0][1]
    assert ".xls" in problems_of(b"\xd0\xcf\x11\xe0" + b"\0" * 100, filename="a.xls")[0][1]
    assert "Excel" in problems_of(b"PK\x03\x04 damaged")[0][1]
    assert "空" in problems_of(b"")[0][1]
    assert "没有数据行" in problems_of(",".join(HEADER).encode())[0][1]


@pytest.mark.parametrize(
    ("number", "floor"), [("101", 1), ("1203", 12), ("B-502", 5), ("2-301", 3), ("12", None)]
)
def test_floor_is_read_from_the_unit_number(number, floor):
    assert floor_from_unit_number(number) == floor


# --- importing (database) ------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_units_people_and_ownerships():
    community = CommunityFactory()
    report = roster_import(community=community, data=csv_bytes(GOOD_ROWS, bom=True))
    assert report.units_created == 4
    assert report.users_created == 3
    unit_101 = Unit.objects.get(building__community=community, number="101")
    assert unit_101.area_m2 == Decimal("88.50")
    owners = set(unit_101.ownerships.values_list("member__user__display_name", flat=True))
    assert owners == {"王秀英", "李建国"}
    wang = Member.objects.get(community=community, user__phone="13900000001")
    assert wang.party == Party.RESIDENT and wang.verified
    assert wang.ownerships.count() == 2  # one person, two units
    unsold = Unit.objects.get(number="601")
    assert unsold.unsold and not unsold.ownerships.exists()
    assert Unit.objects.get(number="1203").floor == 12
    assert not User.objects.get(phone="13900000001").has_usable_password()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_bad_file_writes_nothing(kind):
    community = CommunityFactory()
    before = registry_counts()
    rows = [
        ["1号楼", "101", "88.50", "王秀英", "13900000001", "", ""],
        ["1号楼", "102", "88.50", "李建国", "not-a-phone", "", ""],
    ]
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    with pytest.raises(RosterInvalid) as caught:
        roster_import(community=community, data=data)
    assert [p.line for p in caught.value.problems] == [3]
    assert registry_counts() == before


@pytest.mark.django_db
def test_reimport_updates_instead_of_duplicating():
    community = CommunityFactory()
    roster_import(community=community, data=csv_bytes(GOOD_ROWS))
    counts = registry_counts()
    again = roster_import(community=community, data=xlsx_bytes(GOOD_ROWS))
    assert registry_counts() == counts
    assert (again.units_created, again.users_created, again.ownerships_added) == (0, 0, 0)
    assert (again.units_updated, again.ownerships_removed) == (0, 0)

    changed = [
        ["1号楼", "101", "89.00", "王秀英", "13900000001", "", ""],  # area corrected
        ["1号楼", "102", "76.25", "王秀英", "13900000001", "surveyed", ""],
        ["1号楼", "1203", "120", "张淑珍", "13900000003", "contract", ""],
        ["2号楼", "601", "99.99", "孙春生", "13900000004", "", ""],  # unsold unit now sold
    ]
    report = roster_import(community=community, data=csv_bytes(changed))
    unit_101 = Unit.objects.get(number="101")
    assert unit_101.area_m2 == Decimal("89.00")
    # 李建国 is no longer listed for 101: that ownership goes, his account stays.
    assert set(unit_101.ownerships.values_list("member__user__phone", flat=True)) == {"13900000001"}
    assert User.objects.filter(phone="13900000002").exists()
    sold = Unit.objects.get(number="601")
    assert not sold.unsold
    assert sold.ownerships.get().member.user.display_name == "孙春生"
    assert report.units_updated == 2
    assert report.ownerships_removed == 1 and report.ownerships_added == 1
    assert Unit.objects.count() == 4 and Building.objects.count() == 2


@pytest.mark.django_db
def test_import_keeps_staff_party_and_links_existing_accounts():
    community = CommunityFactory()
    manager = MemberFactory(
        community=community,
        party=Party.PROPERTY,
        user=UserFactory(phone="13900000001", display_name="王秀英"),
    )
    roster_import(community=community, data=csv_bytes(GOOD_ROWS))
    manager.refresh_from_db()
    assert manager.party == Party.PROPERTY
    assert manager.ownerships.count() == 2
    assert User.objects.filter(phone="13900000001").count() == 1


@pytest.mark.django_db
def test_rosters_of_two_communities_stay_apart():
    one, two = CommunityFactory(), CommunityFactory()
    roster_import(community=one, data=csv_bytes(GOOD_ROWS))
    roster_import(community=two, data=csv_bytes(GOOD_ROWS[:1]))
    assert Unit.objects.filter(building__community=one).count() == 4
    assert Unit.objects.filter(building__community=two).count() == 1
    # One person in two communities: one account, a membership in each.
    assert Member.objects.filter(user__phone="13900000001").count() == 2


@pytest.mark.django_db
def test_import_from_rows_as_dicts():
    community = CommunityFactory()
    rows = [dict(zip(HEADER, row, strict=True)) for row in GOOD_ROWS]
    report = roster_import(community=community, rows=rows)
    assert report.rows == 5 and report.units_created == 4


# --- the command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_imports_a_file(tmp_path):
    community = CommunityFactory(slug="nantang")
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_ROWS))
    out = io.StringIO()
    call_command("import_roster", str(path), "--community", "nantang", stdout=out)
    assert "Imported 5 rows" in out.getvalue()
    assert Unit.objects.filter(building__community=community).count() == 4


@pytest.mark.django_db
def test_command_fails_with_line_numbered_problems(tmp_path):
    CommunityFactory(slug="nantang")
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([["1号楼", "101", "0", "王秀英", "13900000001", "", ""]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_roster", str(path), "--community", "nantang", stderr=err)
    assert "第 2 行" in err.getvalue()
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_command_exits_non_zero(tmp_path, capsys):
    """From the command line (as a shell script runs it) a refusal is a non-zero exit status."""
    from django.core.management import ManagementUtility

    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS))
    argv = ["manage.py", "import_roster", str(path), "--community", "no-such"]
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(argv).execute()
    assert exit_info.value.code != 0
    assert "no-such" in capsys.readouterr().err
