"""The statistics as CSV, XLSX and JSON: the same rows and the same columns in each.

The XLSX is written in openpyxl's write-only mode to a temporary file, so that memory stays
flat however many groups there are.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any

from flask_babel import lazy_gettext as _l

from consult.core.spreadsheets import safe_cell, write_csv
from consult.stats.services import Row, Table

COLUMNS = (
    ("label", _l("Group")),
    ("tasks", _l("Tasks")),
    ("comments", _l("Comments (raw)")),
    ("distinct", _l("Comments (distinct)")),
    ("people", _l("People represented")),
    ("suggestions", _l("Suggestions submitted")),
    ("adopted", _l("Adopted (采纳)")),
    ("partially_adopted", _l("Partially adopted (部分采纳)")),
    ("not_adopted", _l("Not adopted (未采纳)")),
    ("pending", _l("Pending (待研究 or no outcome yet)")),
    ("decided", _l("Decided")),
    ("rate", _l("Adoption rate")),
)
GROUPING_LABELS = {
    "legislature": _l("Legislature"), "point": _l("Contact point"), "unit": _l("Unit"),
    "collector": _l("Collector"), "expert": _l("Expert"), "draft": _l("Draft"),
    "task": _l("Task"), "month": _l("Month"), "year": _l("Year"),
}  # fmt: skip


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


def values(row: Row) -> list[Any]:
    data = row.to_dict()
    return [data[key] for key, _label in COLUMNS]


def as_json(result: Table) -> dict[str, Any]:
    scope = result.scope
    return {
        "by": result.by,
        "from": scope.start,
        "to": scope.end,
        "point_id": scope.point_id,
        "legislature_id": scope.legislature_id,
        "rows": [row.to_dict() for row in result.rows],
        "total": result.total.to_dict(),
    }


def csv_bytes(result: Table) -> bytes:
    return write_csv(headers(), [*map(values, result.rows), values(result.total)])


def xlsx_file(results: list[Table]) -> IO[bytes]:
    """A workbook with one sheet per grouping, written to (and returned as) a temporary file."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for result in results:
        sheet = workbook.create_sheet(str(GROUPING_LABELS[result.by])[:31])
        sheet.column_dimensions["A"].width = 40
        header = []
        for text in headers():
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in [*result.rows, result.total]:
            cells = []
            for (key, _label), value in zip(COLUMNS, values(row), strict=True):
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                if key == "rate" and value is not None:
                    cell.number_format = "0.0%"
                if row is result.total:
                    cell.font = bold
                cells.append(cell)
            sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response that sends it
    workbook.save(handle)
    handle.seek(0)
    return handle
