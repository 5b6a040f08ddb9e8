"""Outcomes in bulk: a sheet of the task's submitted suggestions, filled in and uploaded.

The same rules as comment import: every row is checked and every problem reported with its
row number; nothing is recorded until the whole sheet is valid and the person confirms;
rows that would change nothing (the outcome is already recorded so) are skipped, so
uploading the same sheet twice records nothing the second time.
"""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from consult.comments.imports import Checked, RowError, read_sheet
from consult.consultations.models import ConsultationTask
from consult.core.errors import ValidationFailed
from consult.core.spreadsheets import safe_cell
from consult.core.types import utcnow
from consult.extensions import db
from consult.org.models import User
from consult.outcomes import services
from consult.outcomes.models import Outcome, OutcomeImport
from consult.review.services import in_clause_order

# column key → (Chinese header, English header); only the first four are read back.
COLUMNS = {
    "suggestion_id": ("建议编号", "suggestion"),
    "outcome": ("办理结果", "outcome"),
    "explanation": ("说明", "explanation"),
    "landed_in": ("落实条款", "landed in"),
    "point": ("联系点", "contact point"),
    "citation": ("条款", "clause"),
    "proposed_text": ("修改建议", "proposed wording"),
    "rationale": ("理由", "rationale"),
}
OUTCOME_NAMES = {
    "采纳": Outcome.ADOPTED, "部分采纳": Outcome.PARTIALLY_ADOPTED,
    "未采纳": Outcome.NOT_ADOPTED, "不采纳": Outcome.NOT_ADOPTED, "待研究": Outcome.PENDING,
    **{o.value: o for o in Outcome},
}  # fmt: skip
SHEET_OUTCOMES = ["采纳", "部分采纳", "未采纳", "待研究"]
ZH_OF = dict(zip(Outcome, SHEET_OUTCOMES, strict=True))


def template(task: ConsultationTask, user: User) -> bytes:
    """Every submitted suggestion of the task, one a row, with its current outcome."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "办理结果"
    sheet.append([COLUMNS[k][0] for k in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    suggestions = in_clause_order(services.task_suggestions(task, user))
    recorded = services.histories(suggestions)
    for s in suggestions:
        entry = recorded[s.id][0] if recorded[s.id] else None
        sheet.append([safe_cell(v) for v in (
            s.id, ZH_OF[entry.outcome] if entry else None, entry.explanation if entry else None,
            entry.landed_in.citation if entry and entry.landed_in else None, s.point.name,
            s.citation, s.proposed_text, s.rationale_text,
        )])  # fmt: skip
    validation = DataValidation(type="list", formula1='"' + ",".join(SHEET_OUTCOMES) + '"',
                                allow_blank=True)  # fmt: skip
    validation.add("B2:B5001")
    sheet.add_data_validation(validation)
    for letter, width in zip("ABCDEFGH", (10, 12, 40, 16, 20, 20, 40, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check(task: ConsultationTask, data: bytes, filename: str, user: User) -> Checked:
    """Validate every row against the task's submitted suggestions."""
    required = {key: _("The column “%(title)s” is missing.", title=COLUMNS[key][0])
                for key in ("suggestion_id", "outcome")}  # fmt: skip
    table, mapping, result = read_sheet(data, filename, COLUMNS, required)
    if result.errors:
        return result
    suggestions = {s.id: s for s in services.task_suggestions(task, user)}
    seen: dict[int, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        raw = {key: (cells[i] if i < len(cells) else "") for i, key in mapping.items()}
        if not any(raw.get(k) for k in ("suggestion_id", "outcome", "explanation", "landed_in")):
            continue  # blank line
        errors_before = len(result.errors)

        def fail(key: str, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, COLUMNS[key][0], message))

        ident = raw.get("suggestion_id", "")
        suggestion = suggestions.get(int(ident)) if ident.isdigit() else None
        if suggestion is None:
            fail("suggestion_id", _("“%(value)s” is not a submitted suggestion of this task.",
                                    value=ident))  # fmt: skip
            continue
        if suggestion.id in seen:
            fail("suggestion_id", _("Suggestion %(id)s is also on row %(row)d.",
                                    id=suggestion.id, row=seen[suggestion.id]))  # fmt: skip
            continue
        seen[suggestion.id] = number
        name = raw.get("outcome", "")
        if not name:
            continue  # not decided yet: the row is left as it is
        outcome = OUTCOME_NAMES.get(name) or OUTCOME_NAMES.get(name.lower())
        if outcome is None:
            fail("outcome", _("“%(value)s” is not an outcome: write one of %(names)s.",
                              value=name, names="、".join(SHEET_OUTCOMES)))  # fmt: skip
            continue
        explanation = raw.get("explanation", "").strip() or None
        if explanation and len(explanation) > 5000:
            fail("explanation", _("At most %(n)d characters (this has %(m)d).", n=5000,
                                  m=len(explanation)))  # fmt: skip
        data_row = {"outcome": outcome, "explanation": explanation,
                    "landed_in": raw.get("landed_in", "").strip() or None}  # fmt: skip
        try:
            landed = services.validate(suggestion, data_row)
        except ValidationFailed as exc:
            for key, messages in (exc.fields or {}).items():
                for message in messages:
                    fail(key if key in COLUMNS else "outcome", message)
        if len(result.errors) > errors_before:
            continue
        entry = services.current(suggestion)
        if entry is not None and (entry.outcome, entry.explanation, entry.landed_in_id) == (
            outcome,
            explanation,
            landed.id if landed else None,
        ):
            result.duplicates += 1  # already recorded so
            continue
        result.rows.append({
            "row": number, "suggestion_id": suggestion.id, "outcome": outcome.value,
            "explanation": explanation, "landed_in_id": landed.id if landed else None,
            "citation": suggestion.citation, "point": suggestion.point.name,
            "before": entry.outcome.value if entry else None,
            "landed_in": landed.citation if landed else None,
        })  # fmt: skip
    if not result.rows and not result.errors and not result.duplicates:
        result.errors.append(RowError(2, "", _("The file has no data rows.")))
    return result


def stage(task: ConsultationTask, checked: Checked, filename: str, user: User) -> OutcomeImport:
    pending = OutcomeImport(task_id=task.id, user_id=user.id, filename=filename[:255],
                            rows=checked.rows)  # fmt: skip
    db.session.add(pending)
    db.session.flush()
    return pending


def record_rows(task: ConsultationTask, rows: list[dict[str, Any]], user: User) -> int:
    """Record every checked row in the current transaction; returns how many."""
    suggestions = {s.id: s for s in services.task_suggestions(task, user)}
    recorded = 0
    for row in rows:
        suggestion = suggestions.get(row["suggestion_id"])
        if suggestion is None:  # no longer submitted to this legislature: refuse it all
            raise ValidationFailed(
                _("Suggestion %(id)s is no longer open to you: nothing was recorded.",
                  id=row["suggestion_id"]), fields={"file": [str(row["suggestion_id"])]},
            )  # fmt: skip
        entry = services.current(suggestion)
        if entry is not None and (entry.outcome.value, entry.explanation, entry.landed_in_id) == (
            row["outcome"],
            row["explanation"],
            row["landed_in_id"],
        ):
            continue  # recorded meanwhile (a second click)
        services.record(suggestion, {"outcome": Outcome(row["outcome"]),
                                     "explanation": row["explanation"],
                                     "landed_in": row["landed_in_id"]}, user)  # fmt: skip
        recorded += 1
    return recorded


def confirm(task: ConsultationTask, pending: OutcomeImport, user: User) -> int:
    recorded = record_rows(task, pending.rows, user)
    pending.imported_at = utcnow()
    pending.imported = recorded
    db.session.flush()
    return recorded


def pending_or_404(task: ConsultationTask, import_id: int, user: User) -> OutcomeImport:
    from consult.core.errors import NotFound

    pending = db.session.scalar(select(OutcomeImport).where(
        OutcomeImport.id == import_id, OutcomeImport.task_id == task.id,
        OutcomeImport.user_id == user.id,
    ))  # fmt: skip
    if pending is None:
        raise NotFound(_("Not found."))
    return pending
