"""Reading and validating an owners' roster (业主名册). Pure: no ORM.

A roster is a CSV file (UTF-8, with or without BOM) or an XLSX workbook (first sheet) whose first
row names the columns:

    building, unit, area_m2, owner_name, phone      required
    area_source (registered|surveyed|contract), unsold (1 = developer's unsold unit), floor
                                                    optional

Co-owners of one unit are extra rows for the same unit. One person owning several units appears
on several rows with the same phone. An unsold row needs no owner name or phone. Chinese column
names (楼栋, 房号, 面积, 业主姓名, 手机号, 面积依据, 未售, 楼层) are accepted too.

:func:`parse_roster` returns every row it could read and every problem it found, each with the
line number of the file (the header is line 1), so that the importer can refuse the whole file
and the person who prepared it can fix all problems in one pass.
"""

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from deliberation.models.communities import AreaSource
from deliberation.registry.phones import normalise_phone

REQUIRED_COLUMNS = ("building", "unit", "area_m2", "owner_name", "phone")
OPTIONAL_COLUMNS = ("area_source", "unsold", "floor")
COLUMN_ALIASES: dict[str, str] = {
    "楼栋": "building",
    "楼号": "building",
    "房号": "unit",
    "房屋": "unit",
    "面积": "area_m2",
    "专有面积": "area_m2",
    "建筑面积": "area_m2",
    "业主姓名": "owner_name",
    "姓名": "owner_name",
    "手机号": "phone",
    "手机": "phone",
    "电话": "phone",
    "面积依据": "area_source",
    "未售": "unsold",
    "未售出": "unsold",
    "楼层": "floor",
}
AREA_SOURCE_ALIASES: dict[str, str] = {
    "registered": AreaSource.REGISTERED,
    "登记": AreaSource.REGISTERED,
    "不动产登记": AreaSource.REGISTERED,
    "不动产登记面积": AreaSource.REGISTERED,
    "surveyed": AreaSource.SURVEYED,
    "测绘": AreaSource.SURVEYED,
    "测绘面积": AreaSource.SURVEYED,
    "contract": AreaSource.CONTRACT,
    "合同": AreaSource.CONTRACT,
    "合同面积": AreaSource.CONTRACT,
}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "√", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "否"})

MAX_ROWS = 50_000
MAX_AREA = Decimal("9999999.99")
MAX_LENGTHS = {"building": 40, "unit": 20, "owner_name": 60}
_UNIT_FLOOR = re.compile(r"^(?:.*-)?(\d{1,3}?)(\d{2})$")
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class RosterProblem:
    """One thing wrong with the file; ``line`` 0 means the file as a whole."""

    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        if self.line:
            return _("第 %(line)s 行：%(message)s") % {"line": self.line, "message": self.message}
        return self.message


@dataclass(frozen=True)
class RosterRow:
    """One validated row. ``owner_name`` and ``phone`` are empty only for unsold units."""

    line: int
    building: str
    unit: str
    floor: int | None
    area_m2: Decimal
    area_source: str
    unsold: bool
    owner_name: str
    phone: str


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class RosterInvalid(Exception):
    """The roster has problems; nothing was written. ``problems`` lists each with its line."""

    code = "roster_invalid"

    def __init__(self, problems: list[RosterProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- reading files into (line, {column: text}) ---------------------------------------------

RawRow = tuple[int, dict[str, str]]


def _cell_text(value: object) -> str:
    """Cell values as text; integral floats (Excel numbers) lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _map_header(cells: list[str], line: int) -> tuple[dict[int, str], list[RosterProblem]]:
    """Column index → canonical name; problems for missing and repeated columns."""
    problems: list[RosterProblem] = []
    mapping: dict[int, str] = {}
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")
        name = COLUMN_ALIASES.get(cell.strip().lstrip("\ufeff").strip(), name)
        if name not in REQUIRED_COLUMNS and name not in OPTIONAL_COLUMNS:
            continue  # Unknown columns (notes, ID numbers) are ignored, never imported.
        if name in seen:
            problems.append(
                RosterProblem(line, _("列“%(column)s”出现了两次") % {"column": name}, name)
            )
            continue
        seen.add(name)
        mapping[index] = name
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        problems.append(
            RosterProblem(
                line,
                _("缺少必需的列：%(columns)s(第一行应为列名：%(required)s)")
                % {"columns": "、".join(missing), "required": ", ".join(REQUIRED_COLUMNS)},
            )
        )
    return mapping, problems


def _rows_from_table(
    table: Iterable[tuple[int, list[str]]],
) -> tuple[list[RawRow], list[RosterProblem]]:
    rows: list[RawRow] = []
    mapping: dict[int, str] | None = None
    for line, cells in table:
        if mapping is None:
            if not any(c.strip() for c in cells):
                continue
            mapping, problems = _map_header(cells, line)
            if problems:
                return [], problems
            continue
        if not any(c.strip() for c in cells):
            continue  # Blank lines are allowed anywhere.
        if len(rows) >= MAX_ROWS:
            return [], [RosterProblem(0, _("文件超过 %(max)s 行，请分批导入") % {"max": MAX_ROWS})]
        values = {name: "" for name in mapping.values()}
        for index, name in mapping.items():
            if index < len(cells):
                values[name] = cells[index].strip()
        rows.append((line, values))
    if mapping is None:
        return [], [RosterProblem(0, _("文件是空的"))]
    if not rows:
        return [], [RosterProblem(0, _("文件只有列名，没有数据行"))]
    return rows, []


def read_csv(data: bytes) -> tuple[list[RawRow], list[RosterProblem]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [], [
            RosterProblem(
                line,
                _(
                    "文件不是 UTF-8 编码。请在 Excel 中“另存为”选择“CSV UTF-8”，"
                    "或直接上传 .xlsx 文件"
                ),
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""))

    def table() -> Iterable[tuple[int, list[str]]]:
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1

    try:
        return _rows_from_table(table())
    except csv.Error as error:
        return [], [RosterProblem(reader.line_num, _("CSV 格式错误：%(error)s") % {"error": error})]


def read_xlsx(data: bytes) -> tuple[list[RawRow], list[RosterProblem]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for damaged files
        return [], [RosterProblem(0, _("无法读取 Excel 文件，请确认是 .xlsx 格式且未损坏"))]
    try:
        sheet = workbook.worksheets[0]
        table = (
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _rows_from_table(table)
    finally:
        workbook.close()


def read_roster_file(
    data: bytes, *, filename: str = ""
) -> tuple[list[RawRow], list[RosterProblem]]:
    """Rows of a CSV or XLSX file, recognised by content (the file name only breaks ties)."""
    if data.startswith(XLS_MAGIC) or filename.lower().endswith(".xls"):
        return [], [RosterProblem(0, _("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV UTF-8"))]
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data)
    return read_csv(data)


# --- validating rows -----------------------------------------------------------------------------


def _parse_area(text: str) -> tuple[Decimal | None, str]:
    cleaned = text.replace("㎡", "").replace("m²", "").replace(",", "").strip()
    if not cleaned:
        return None, _("缺少面积")
    try:
        area = Decimal(cleaned)
    except InvalidOperation:
        return None, _("面积“%(value)s”不是数字") % {"value": text}
    if not area.is_finite() or area <= 0:
        return None, _("面积必须大于 0(现为“%(value)s”)") % {"value": text}
    if area > MAX_AREA:
        return None, _("面积“%(value)s”过大") % {"value": text}
    if area != area.quantize(Decimal("0.01")):
        return None, _("面积最多保留两位小数(现为“%(value)s”)") % {"value": text}
    return area.quantize(Decimal("0.01")), ""


def floor_from_unit_number(number: str) -> int | None:
    """``301`` → 3, ``1203`` → 12, ``B-502`` → 5; ``None`` when the number shows no floor."""
    match = _UNIT_FLOOR.match(number)
    if not match:
        return None
    floor = int(match.group(1))
    return floor or None


def validate_rows(raw_rows: Iterable[tuple[int, Mapping[str, str]]]) -> ParsedRoster:
    """Check every row on its own and against the others (duplicates, conflicting data)."""
    result = ParsedRoster()
    unit_first: dict[tuple[str, str], RosterRow] = {}
    owner_rows: dict[tuple[str, str, str], int] = {}
    phone_names: dict[str, tuple[str, int]] = {}
    unsold_units: dict[tuple[str, str], int] = {}
    owned_units: dict[tuple[str, str], int] = {}

    for line, values in raw_rows:
        problems: list[RosterProblem] = []

        def problem(
            message: str,
            column: str = "",
            line: int = line,
            problems: list[RosterProblem] = problems,
        ) -> None:
            problems.append(RosterProblem(line, message, column))

        building = values.get("building", "").strip()
        unit = values.get("unit", "").strip()
        owner_name = re.sub(r"\s+", "", values.get("owner_name", ""))
        phone_text = values.get("phone", "").strip()
        if not building:
            problem(_("缺少楼栋"), "building")
        if not unit:
            problem(_("缺少房号"), "unit")
        for column, value in (("building", building), ("unit", unit), ("owner_name", owner_name)):
            if len(value) > MAX_LENGTHS[column]:
                problem(
                    _("“%(value)s”过长(最多 %(max)s 个字)")
                    % {"value": value, "max": MAX_LENGTHS[column]},
                    column,
                )
        area, area_error = _parse_area(values.get("area_m2", ""))
        if area_error:
            problem(area_error, "area_m2")

        source_text = values.get("area_source", "").strip()
        area_source = AREA_SOURCE_ALIASES.get(source_text.lower(), "")
        if not source_text:
            area_source = AreaSource.REGISTERED
        elif not area_source:
            problem(
                _("面积依据“%(value)s”无法识别(可填 registered、surveyed、contract)")
                % {"value": source_text},
                "area_source",
            )

        unsold_text = values.get("unsold", "").strip().lower()
        unsold = unsold_text in TRUE_WORDS
        if unsold_text not in TRUE_WORDS and unsold_text not in FALSE_WORDS:
            problem(
                _("“未售”一栏“%(value)s”无法识别(填 1 表示未售，留空表示已售)")
                % {"value": values.get("unsold", "")},
                "unsold",
            )

        floor_text = values.get("floor", "").strip()
        floor: int | None
        if floor_text:
            try:
                floor = int(floor_text)
            except ValueError:
                floor = None
                problem(_("楼层“%(value)s”不是整数") % {"value": floor_text}, "floor")
            else:
                if not -9 <= floor <= 200 or floor == 0:
                    problem(_("楼层“%(value)s”不合理") % {"value": floor_text}, "floor")
        else:
            floor = floor_from_unit_number(unit)

        phone = ""
        if unsold:
            if owner_name or phone_text:
                problem(_("未售房屋不应填写业主姓名或手机号"), "owner_name")
        else:
            if not owner_name:
                problem(_("缺少业主姓名(开发商未售房屋请在“unsold”一栏填 1)"), "owner_name")
            if not phone_text:
                problem(_("缺少手机号"), "phone")
            else:
                phone = normalise_phone(phone_text) or ""
                if not phone:
                    problem(
                        _("手机号“%(value)s”不正确(应为 11 位手机号码)") % {"value": phone_text},
                        "phone",
                    )

        if problems:
            result.problems.extend(problems)
            continue

        assert area is not None
        row = RosterRow(
            line=line,
            building=building,
            unit=unit,
            floor=floor,
            area_m2=area,
            area_source=area_source,
            unsold=unsold,
            owner_name=owner_name,
            phone=phone,
        )
        key = (building, unit)
        first = unit_first.get(key)
        if first is None:
            unit_first[key] = row
        else:
            if first.area_m2 != row.area_m2 or first.area_source != row.area_source:
                problem(
                    _("%(unit)s 的面积与第 %(other)s 行不一致(%(a)s ≠ %(b)s)")
                    % {
                        "unit": f"{building}-{unit}",
                        "other": first.line,
                        "a": row.area_m2,
                        "b": first.area_m2,
                    },
                    "area_m2",
                )
            if first.floor != row.floor:
                problem(
                    _("%(unit)s 的楼层与第 %(other)s 行不一致")
                    % {"unit": f"{building}-{unit}", "other": first.line},
                    "floor",
                )
        if unsold:
            if key in unsold_units:
                problem(
                    _("与第 %(other)s 行重复(同一未售房屋)") % {"other": unsold_units[key]},
                    "unit",
                )
            elif key in owned_units:
                problem(
                    _("%(unit)s 在第 %(other)s 行已有业主，不能同时标为未售")
                    % {"unit": f"{building}-{unit}", "other": owned_units[key]},
                    "unsold",
                )
            unsold_units.setdefault(key, line)
        else:
            owner_key = (building, unit, phone)
            if owner_key in owner_rows:
                problem(
                    _("与第 %(other)s 行重复(同一房屋、同一业主)")
                    % {"other": owner_rows[owner_key]},
                    "phone",
                )
            elif key in unsold_units:
                problem(
                    _("%(unit)s 在第 %(other)s 行标为未售，不能再有业主")
                    % {"unit": f"{building}-{unit}", "other": unsold_units[key]},
                    "unsold",
                )
            owner_rows.setdefault(owner_key, line)
            owned_units.setdefault(key, line)
            named = phone_names.get(phone)
            if named is None:
                phone_names[phone] = (owner_name, line)
            elif named[0] != owner_name:
                problem(
                    _(
                        "手机号 %(phone)s 在第 %(other)s 行属于“%(name)s”，"
                        "一个手机号只能对应一位业主"
                    )
                    % {"phone": phone, "other": named[1], "name": named[0]},
                    "phone",
                )
        if problems:
            result.problems.extend(problems)
        else:
            result.rows.append(row)
    return result


def parse_roster(data: bytes, *, filename: str = "") -> ParsedRoster:
    """Read and validate a roster file; see the module docstring for the format."""
    raw_rows, problems = read_roster_file(data, filename=filename)
    if problems:
        return ParsedRoster(problems=problems)
    return validate_rows(raw_rows)


def parse_roster_rows(rows: Iterable[Mapping[str, object]]) -> ParsedRoster:
    """Validate rows given as dicts (e.g. generated demo data); line numbers as in a CSV file."""
    rows = list(rows)
    if not rows:
        return ParsedRoster(problems=[RosterProblem(0, _("没有数据行"))])
    header = list(rows[0].keys())
    table = [(1, header)] + [
        (line, [_cell_text(row.get(column)) for column in header])
        for line, row in enumerate(rows, start=2)
    ]
    raw_rows, problems = _rows_from_table(table)
    if problems:
        return ParsedRoster(problems=problems)
    return validate_rows(raw_rows)
