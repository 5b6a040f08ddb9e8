"""The point's report (意见建议汇总表) as DOCX and XLSX.

Both are made from one *report*: the frozen snapshot of a submitted report, or — before
submission — the same structure computed from the current review (a preview). Suggestions
come in clause order with the columns the legislature expects: 序号, 条款, 条文原文, 修改建议,
理由, 意见来源 (comments merged, people represented, units, channels), 原始意见编号; a cover
gives the task, the point, the dates and the totals.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from consult.comments.models import Channel
from consult.core.http import XLSX, content_disposition
from consult.core.sanitize import html_to_text
from consult.core.spreadsheets import safe_cell

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "意见建议汇总表"
COLUMNS = ["序号", "条款", "条文原文", "修改建议", "理由", "意见来源", "原始意见编号"]
WIDTHS_CM = [1.2, 2.6, 6.0, 5.5, 5.0, 4.0, 2.6]
XLSX_WIDTHS = [6, 14, 40, 36, 36, 28, 16]


@dataclass
class Report:
    task_title: str
    point_name: str
    deadline: str
    submitted: str | None  # None: a preview of a report not yet submitted
    tracking_number: str | None
    late_reason: str | None
    snapshot: dict[str, Any]

    @property
    def suggestions(self) -> list[dict[str, Any]]:
        return self.snapshot["suggestions"]

    def totals(self) -> list[tuple[str, Any]]:
        totals = self.snapshot.get("totals", {})
        return [
            ("意见总数（原始）", totals.get("raw", "")),
            ("意见总数（不重复）", totals.get("distinct", "")),
            ("代表人数", totals.get("people", "")),
            ("汇总建议", len(self.suggestions)),
            ("搁置意见", len(self.snapshot.get("set_aside", []))),
        ]

    def cover(self) -> list[tuple[str, Any]]:
        return [
            ("征求意见任务", self.task_title),
            ("基层立法联系点", self.point_name),
            ("截止时间", self.deadline),
            ("报送时间", self.submitted or "（尚未报送：预览）"),
            ("报送编号", self.tracking_number or ""),
            *([("逾期说明", self.late_reason)] if self.late_reason else []),
            *self.totals(),
        ]


def sources(item: dict[str, Any]) -> str:
    channels = "、".join(Channel(c).label for c in item.get("channels", []))
    units = "、".join(item.get("units", [])) or "—"
    return (f"归并意见 {len(item['comment_ids'])} 条，代表 {item['people']} 人；"
            f"单位：{units}；渠道：{channels}")  # fmt: skip


def rows(report: Report) -> list[list[Any]]:
    return [
        [
            item["number"],
            item["citation"],
            item.get("clause_text") or "",
            item.get("proposed_text") or "",
            html_to_text(item.get("rationale_html")),
            sources(item),
            "、".join(f"#{i}" for i in item["comment_ids"]),
        ]
        for item in report.suggestions
    ]


def docx_bytes(report: Report) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))
    style = document.styles["Normal"]
    style.font.size = Pt(10.5)
    # The font for Chinese text (Word's "East Asian" font); viewers substitute their own.
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Noto Sans CJK SC")
    document.add_heading(TITLE, level=0)
    cover = document.add_table(rows=0, cols=2)
    cover.style = "Table Grid"
    for label, value in report.cover():
        cells = cover.add_row().cells
        cells[0].text, cells[1].text = label, str(value)
    document.add_paragraph()
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, COLUMNS, strict=True):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
    for values in rows(report):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = str(value)
    for row in table.rows:
        for cell, width in zip(row.cells, WIDTHS_CM, strict=True):
            cell.width = Cm(width)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(report: Report) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(TITLE)
    for index, width in enumerate(XLSX_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.append([safe_cell(TITLE)])
    for label, value in report.cover():
        sheet.append([safe_cell(label), safe_cell(value)])
    sheet.append([])
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for values in rows(report):
        line = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            cell.alignment = wrap
            line.append(cell)
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(report: Report, task_id: int, kind: str) -> Response:
    """The report as a file to download: ``kind`` is docx or xlsx."""
    body, mimetype = (docx_bytes(report), DOCX) if kind == "docx" else (xlsx_bytes(report), XLSX)
    disposition = content_disposition(f"意见建议汇总表-任务{task_id}.{kind}")
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})
