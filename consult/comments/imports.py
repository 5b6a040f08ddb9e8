"""Bulk entry: the XLSX template, validating an uploaded sheet row by row, importing it.

Nothing is imported until every row is valid and the user confirms; importing the same rows
again adds nothing (each row has a fingerprint, kept with the comment).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from consult.comments import services as comments
from consult.comments.models import CHANNEL_NAMES, Channel, Comment, CommentSource
from consult.consultations import services as tasks
from consult.consultations.models import ConsultationTask
from consult.core.errors import ValidationFailed
from consult.core.spreadsheets import UnreadableFile, header_map, read_rows, safe_cell
from consult.drafts.models import Clause
from consult.extensions import db
from consult.org.models import Role, User

# column key → (Chinese header, English header)
COLUMNS = {
    "clause": ("条款", "clause"),
    "body": ("意见", "opinion"),
    "proposed_text": ("修改建议", "proposed wording"),
    "reason": ("理由", "reason"),
    "channel": ("收集方式", "channel"),
    "place": ("地点", "place"),
    "collected_on": ("收集日期", "date collected"),
    "participants": ("代表人数", "people"),
    "respondent_occupation": ("职业", "occupation"),
    "respondent_area": ("地区", "area"),
    "respondent_name": ("姓名", "name"),
    "respondent_phone": ("电话", "phone"),
    "collector": ("采集员用户名", "collector"),
}
GENERAL = {"", "总体意见", "总体", "general"}
LIMITS = {"body": 5000, "proposed_text": 5000, "reason": 5000, "place": 200,
          "respondent_occupation": 100, "respondent_area": 100, "respondent_name": 50,
          "respondent_phone": 30}  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Checked:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: int = 0  # rows already imported before

    @property
    def ok(self) -> bool:
        return not self.errors


def columns_for(user: User) -> list[str]:
    keys = [k for k in COLUMNS if k not in ("respondent_name", "respondent_phone", "collector")]
    if user.point.collects_personal_data:
        keys += ["respondent_name", "respondent_phone"]
    if user.role != Role.COLLECTOR:
        keys.append("collector")
    return keys


def template(task: ConsultationTask, user: User) -> bytes:
    """An XLSX with the columns, the clause citations as a drop-down, and the channel list."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    keys = columns_for(user)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "意见"
    sheet.append([COLUMNS[k][0] for k in keys])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    lists = workbook.create_sheet("选项")
    citations = ["总体意见"] + [c.citation for c in task.version.clauses]
    channels = ["座谈会", "走访", "问卷", "网络", "来信", "电话", "其他"]
    for index, value in enumerate(citations, start=1):
        lists.cell(row=index, column=1, value=safe_cell(value))
    for index, value in enumerate(channels, start=1):
        lists.cell(row=index, column=2, value=value)
    lists.sheet_state = "hidden"
    for key, formula in (
        ("clause", f"选项!$A$1:$A${len(citations)}"),
        ("channel", f"选项!$B$1:$B${len(channels)}"),
    ):
        letter = openpyxl.utils.get_column_letter(keys.index(key) + 1)
        validation = DataValidation(type="list", formula1=f"={formula}", allow_blank=True)
        validation.add(f"{letter}2:{letter}5001")
        sheet.add_data_validation(validation)
    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = (
            40 if key in ("body", "proposed_text", "reason") else 16
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _parse_date(value: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def fingerprint(row: dict[str, Any], occurrence: int) -> str:
    """The same row (and the same repeat of it within a file) always gets the same key."""
    content = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in sorted(row.items())
               if k not in ("row", "clause_id")}  # fmt: skip
    raw = json.dumps(content, ensure_ascii=False, sort_keys=True) + f"#{occurrence}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def read_sheet(
    data: bytes, filename: str, columns: dict[str, tuple[str, str]], required: dict[str, str]
) -> tuple[list[list[str]], dict[int, str], Checked]:
    """The uploaded sheet's rows and which column holds which key; header problems (unknown
    columns, ``required`` ones missing, with their messages) are in the result's errors."""
    try:
        table = read_rows(data, filename)
    except UnreadableFile as exc:
        raise ValidationFailed(str(exc), fields={"file": [str(exc)]}) from None
    result = Checked()
    if not table:
        result.errors.append(RowError(1, "", _("The file is empty.")))
        return table, {}, result
    mapping, unknown = header_map(table[0], columns)
    for title in unknown:
        result.errors.append(RowError(1, title, _("Unknown column “%(title)s”.", title=title)))
    for key, message in required.items():
        if key not in mapping.values():
            result.errors.append(RowError(1, columns[key][0], message))
    return table, mapping, result


def refuse(checked: Checked, message: str) -> ValidationFailed:
    """The API's answer to a sheet with bad rows: every row and its problems, by row."""
    problems: dict[str, list[str]] = {}
    for error in checked.errors:
        problems.setdefault(f"row {error.row}", []).append(f"{error.column}: {error.message}")
    return ValidationFailed(message, fields=problems)


def check(task: ConsultationTask, data: bytes, filename: str, user: User) -> Checked:
    """Validate every row; report each bad one with its row number and reason."""
    table, mapping, result = read_sheet(
        data, filename, COLUMNS, {"body": _("The column “意见” (the opinion) is missing.")}
    )
    if result.errors:
        return result
    allowed = set(columns_for(user))
    collectors: dict[str, User | None] = {}
    clauses: dict[str, Clause | str | None] = {}
    seen: Counter[str] = Counter()
    existing = set(db.session.scalars(
        select(Comment.dedupe_key).where(
            Comment.task_id == task.id, Comment.point_id == user.point_id,
            Comment.dedupe_key.is_not(None),
        )
    ))  # fmt: skip
    for number, cells in enumerate(table[1:], start=2):
        raw = {key: (cells[i] if i < len(cells) else "") for i, key in mapping.items()}
        if not any(raw.values()):
            continue  # blank line
        row, errors = _check_row(task, raw, number, allowed, user, clauses, collectors)
        if errors:
            result.errors.extend(errors)
            continue
        content_key = json.dumps({k: str(v) for k, v in sorted(row.items())}, ensure_ascii=False)
        seen[content_key] += 1
        row["dedupe_key"] = fingerprint(row, seen[content_key])
        row["row"] = number
        if row["dedupe_key"] in existing:
            result.duplicates += 1
            continue
        result.rows.append(row)
    if not result.rows and not result.errors and not result.duplicates:
        result.errors.append(RowError(2, "", _("The file has no data rows.")))
    return result


def _check_row(task, raw, number, allowed, user, clauses, collectors):
    errors: list[RowError] = []
    row: dict[str, Any] = {}

    def fail(key: str, message: str) -> None:
        errors.append(RowError(number, COLUMNS[key][0], message))

    for key, value in raw.items():
        if value and key not in allowed:
            fail(key, _("Your point does not record this column."))
    cite = raw.get("clause", "")
    if cite in GENERAL:
        row["clause"] = None
    else:
        if cite not in clauses:
            try:
                clauses[cite] = comments.clause_for(task, cite)
            except ValidationFailed as exc:
                clauses[cite] = " ".join(exc.fields.get("clause", [exc.message]))
        found = clauses[cite]
        if isinstance(found, str):
            fail("clause", found)
        else:
            row["clause"] = found.citation
    body = raw.get("body", "")
    if not body:
        fail("body", _("The opinion is required."))
    for key, limit in LIMITS.items():
        value = raw.get(key, "")
        if len(value) > limit:
            fail(key, _("At most %(n)d characters (this has %(m)d).", n=limit, m=len(value)))
        elif key in raw:
            row[key] = value or None
    channel = raw.get("channel", "")
    if channel:
        if channel.lower() not in CHANNEL_NAMES and channel not in CHANNEL_NAMES:
            fail("channel", _("Unknown channel “%(value)s”.", value=channel))
        else:
            row["channel"] = (CHANNEL_NAMES.get(channel) or CHANNEL_NAMES[channel.lower()]).value
    else:
        row["channel"] = Channel.OTHER.value
    when = raw.get("collected_on", "")
    if when:
        try:
            row["collected_on"] = _parse_date(when)
        except ValueError:
            fail(
                "collected_on", _("“%(value)s” is not a date: write it as 2026-11-20.", value=when)
            )
        else:
            if row["collected_on"] > date.today():
                fail("collected_on", _("The date is in the future."))
    people = raw.get("participants", "")
    if people:
        if not people.isdigit() or not 1 <= int(people) <= 100000:
            fail(
                "participants",
                _("“%(value)s” is not a number of people (1 or more).", value=people),
            )
        else:
            row["participants"] = int(people)
    else:
        row["participants"] = 1
    username = raw.get("collector", "")
    if username:
        if username not in collectors:
            collectors[username] = db.session.scalar(
                select(User).where(
                    User.username == username.lower(), User.point_id == user.point_id
                )
            )
        if collectors[username] is None:
            fail("collector", _("“%(value)s” is not a collector of your point.", value=username))
        else:
            row["collector_id"] = collectors[username].id
    return row, errors


def import_rows(task: ConsultationTask, checked: Checked, user: User) -> int:
    """Record every checked row in the current transaction; returns how many were added."""
    tasks.require_record(task, user)
    for row in checked.rows:
        data = {k: v for k, v in row.items() if k not in ("row", "dedupe_key")}
        if isinstance(data.get("collected_on"), str):
            data["collected_on"] = date.fromisoformat(data["collected_on"])
        comments.record_comment(
            task, data, user, source=CommentSource.IMPORTED, dedupe_key=row["dedupe_key"]
        )
    return len(checked.rows)


def rows_for_storage(checked: Checked) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
        for row in checked.rows
    ]


def confirm(task: ConsultationTask, pending, user: User) -> tuple[int, int]:
    """Import a checked sheet; rows imported meanwhile (a second click) are skipped."""
    from consult.core.types import utcnow

    existing = set(db.session.scalars(
        select(Comment.dedupe_key).where(
            Comment.task_id == task.id, Comment.point_id == user.point_id,
            Comment.dedupe_key.is_not(None),
        )
    ))  # fmt: skip
    checked = Checked(rows=[r for r in pending.rows if r["dedupe_key"] not in existing])
    imported = import_rows(task, checked, user)
    pending.imported_at = utcnow()
    pending.imported = imported
    db.session.flush()
    return imported, len(pending.rows) - imported + pending.duplicates
