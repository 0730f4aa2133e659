"""The ledger in Excel: XLSX workbooks of matters, resolutions, poll results with their ballots,
and the metrics of a period, with Chinese headers.

Presentation only: every row comes from a domain selector; this module lays it out. Text cells
are always written as text, so a value typed as ``=HYPERLINK(...)`` never becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from deliberation.models import Community, Resolution
from deliberation.proposals import selectors as proposal_selectors
from deliberation.proposals.triage import response_clock
from deliberation.resolutions import selectors as resolution_selectors
from deliberation.resolutions.metrics import Metrics, Rate
from votes import selectors as vote_selectors
from votes.models import Method, Poll, Secrecy

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: the community's local wall time, naive."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


def _cell(sheet: WriteOnlyWorksheet, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = _local(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: no formula from user input
    if bold:
        cell.font = BOLD
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _sheet(
    book: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    sheet = book.create_sheet(title=title)
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, header, bold=True) for header in headers])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def _text(value: str) -> str:
    """Stored rich text (sanitised HTML) as the plain text a spreadsheet cell holds."""
    if "<" not in (value or ""):
        return html.unescape(value or "")
    value = re.sub(r"</p>\s*<p[^>]*>|<br\s*/?>", "\n", value)
    return html.unescape(strip_tags(value)).strip()


def _rate(rate: Rate) -> str:
    return rate.display()


def proposals_workbook(*, community: Community) -> Workbook:
    """议题台账: each matter with channel, dates, responsible party, status, overdue, answer."""
    book = Workbook(write_only=True)
    now = timezone.now()
    headers = [
        _("编号"),
        _("标题"),
        _("类别"),
        _("渠道"),
        _("提出人"),
        _("代录人员"),
        _("提交时间"),
        _("答复期限"),
        _("首次答复时间"),
        _("是否超期"),
        _("超期天数"),
        _("责任方"),
        _("状态"),
        _("已公开"),
        _("答复"),
        _("不予受理理由"),
        _("合并至"),
        _("地点"),
    ]

    def rows() -> Iterable[list[Any]]:
        for proposal in proposal_selectors.proposals_ledger(community=community):
            clock = response_clock(
                submitted_at=proposal.submitted_at,
                response_days=community.response_days,
                responded_at=proposal.responded_at,
                now=now,
            )
            yield [
                proposal.pk,
                proposal.title,
                proposal.get_category_display(),
                proposal.get_channel_display(),
                str(proposal.author.user),
                str(proposal.entered_by) if proposal.entered_by_id else "",
                proposal.submitted_at,
                clock.deadline,
                proposal.responded_at,
                _("是") if clock.overdue else _("否"),
                clock.days_overdue if clock.overdue else 0,
                proposal.get_responsible_party_display() if proposal.responsible_party else "",
                proposal.get_status_display(),
                _("是") if proposal.live else _("否"),
                _text(proposal.answer),
                _text(proposal.reject_reason),
                proposal.merged_into.title if proposal.merged_into is not None else "",
                proposal.location,
            ]

    _sheet(book, _("议题"), headers, rows())
    return book


def resolutions_workbook(*, community: Community) -> Workbook:
    """决议台账: each resolution with its deadline, progress, latest report and ratings."""
    book = Workbook(write_only=True)
    today = timezone.localdate()
    headers = [
        _("编号"),
        _("议题"),
        _("决议内容"),
        _("责任方"),
        _("责任人"),
        _("决议时间"),
        _("办结期限"),
        _("状态"),
        _("是否超期"),
        _("完成进度(%)"),
        _("最新进展"),
        _("最新进展时间"),
        _("办结时间"),
        _("办理轮次"),
        _("满意"),
        _("基本满意"),
        _("不满意"),
        _("满意率"),
    ]

    def rows() -> Iterable[list[Any]]:
        resolution: Any
        for resolution in resolution_selectors.resolutions_ledger(community=community):
            rated = resolution.rated_satisfied + resolution.rated_basic
            total = rated + resolution.rated_dissatisfied
            yield [
                resolution.pk,
                resolution.proposal.title,
                _text(resolution.decision),
                resolution.get_responsible_party_display(),
                str(resolution.responsible_person) if resolution.responsible_person_id else "",
                resolution.decided_at,
                resolution.deadline,
                resolution.get_status_display(),
                _("是") if _resolution_overdue(resolution, today) else _("否"),
                resolution.percent_done,
                _text(resolution.latest_progress or ""),
                resolution.latest_progress_at,
                resolution.completed_at,
                resolution.round,
                resolution.rated_satisfied,
                resolution.rated_basic,
                resolution.rated_dissatisfied,
                Rate(rated, total).display(),
            ]

    _sheet(book, _("决议"), headers, rows())
    return book


def _resolution_overdue(resolution: Resolution, today: dt.date) -> bool:
    """Open past its deadline, or completed after it (computed, never stored)."""
    if resolution.completed_at is not None:
        return timezone.localtime(resolution.completed_at).date() > resolution.deadline
    return resolution.deadline < today


def poll_workbook(*, poll: Poll) -> Workbook:
    """表决结果: the result per option and, in a second sheet, every ballot by unit (named polls:
    who and what; secret polls: what only)."""
    book = Workbook(write_only=True)
    public = vote_selectors.poll_result_public(poll)
    result = public.get("result") or {}
    counts = {row["id"]: row for row in result.get("options", [])}
    denominators = public.get("denominators") or {}
    summary: list[list[Any]] = [
        [_("表决事项"), poll.question],
        [_("表决类型"), poll.get_kind_display()],
        [_("通过规则"), poll.get_rule_display()],
        [_("状态"), poll.get_status_display()],
        [_("开始时间"), poll.opened_at],
        [_("截止时间"), poll.closed_at or poll.closes_at],
        [_("应参与户数/人数"), denominators.get("headcount")],
        [_("应参与面积(㎡)"), _decimal(denominators.get("area"))],
        [_("已收选票"), public.get("ballots_cast", 0)],
        [_("结论"), result.get("verdict_label", _("尚未计票"))],
    ]
    _sheet(book, _("结果"), [_("项目"), _("内容")], summary)
    _sheet(
        book,
        _("各选项"),
        [_("序号"), _("选项"), _("票数"), _("户数/人数"), _("面积(㎡)"), _("通过")],
        [
            [
                index,
                option["label"],
                counts.get(option["id"], {}).get("ballots"),
                counts.get(option["id"], {}).get("headcount"),
                _decimal(counts.get(option["id"], {}).get("area")),
                (_("是") if counts[option["id"]].get("adopted") else _("否"))
                if option["id"] in counts
                else "",
            ]
            for index, option in enumerate(public["options"], start=1)
        ],
    )
    secret = poll.secrecy == Secrecy.SECRET
    headers = [_("序号"), _("房号/投票人"), _("业主/投票人姓名"), _("选择")]
    headers += [_("户数/人数"), _("面积(㎡)"), _("投票方式"), _("录入人员"), _("回执")]
    labels = {o["id"]: o["label"] for o in public["options"]}
    joiner = " > " if poll.method == Method.RANKED else "、"

    def rows() -> Iterable[list[Any]]:
        for row in vote_selectors.poll_ballot_ledger(poll):
            choice = row.choice
            ids = (
                [choice["choice"]]
                if choice.get("choice") is not None  # None: a blank ballot (弃权)
                else choice.get("choices") or choice.get("ranking", [])
            )
            yield [
                row.seq,
                "" if secret else row.voter_label,
                "" if secret else "、".join(row.names),
                joiner.join(labels.get(i, str(i)) for i in ids),
                row.headcount,
                row.area,
                row.channel_label,
                row.entered_by,
                row.receipt,
            ]

    _sheet(book, _("选票"), headers, rows())
    return book


def _decimal(value: Any) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def metrics_workbook(
    *, community: Community, period_label: str, overall: Metrics, party_rows: list[Any]
) -> Workbook:
    """办理指标: the four rates, overall and by responsible party, for one period."""
    book = Workbook(write_only=True)
    headers = [
        _("范围"),
        _("议题数"),
        _("响应率"),
        _("决议数"),
        _("解决率"),
        _("按时办结率"),
        _("评价数"),
        _("满意率"),
        _("办结天数中位数"),
    ]

    def line(label: str, m: Metrics) -> list[Any]:
        return [
            label,
            m.proposals,
            _rate(m.response),
            m.resolutions,
            _rate(m.resolution),
            _rate(m.on_time),
            m.ratings,
            _rate(m.satisfaction),
            m.median_days,
        ]

    rows = [line(_("全社区"), overall)] + [line(label, m) for label, m in party_rows]
    _sheet(book, _("指标"), [_("社区"), community.name], [[_("统计期间"), period_label]])
    book.worksheets[0].append([])
    sheet = book.worksheets[0]
    sheet.append([_cell(sheet, header, bold=True) for header in headers])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    return book


def xlsx_response(book: Workbook, *, filename: str, fallback: str) -> FileResponse:
    """Stream ``book`` as an attachment named ``filename`` (RFC 5987 ``filename*`` for the
    Chinese name, ``fallback`` in ASCII for old clients)."""
    # FileResponse closes the spool once the body is sent: no context manager here.
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    response = FileResponse(spool, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
