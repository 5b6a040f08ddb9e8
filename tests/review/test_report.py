"""The report (意见建议汇总表): DOCX and XLSX in clause order, readable by LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook

from consult.extensions import db
from consult.review import services as review
from consult.review.report import COLUMNS
from tests.conftest import bearer

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture
def submitted(world, app):
    w = world
    change = {"proposed_text": '=HYPERLINK("http://evil")', "rationale": "<b>总体</b>赞成"}
    review.update_suggestion(w.suggestion, change, w.expert)
    for suggestion in (w.suggestion, w.suggestion2):
        review.approve(suggestion, w.manager)
    w.submission = review.submit(w.task, w.manager)
    db.session.commit()
    w.tracking = w.submission.tracking_number
    return w


def get(app, user, path):
    return app.test_client().get(f"/api/v1{path}", headers=bearer(app, user))


def test_the_docx_lists_the_suggestions_in_clause_order_with_their_sources(submitted, app):
    w = submitted
    response = get(app, w.manager, f"/tasks/{w.task.id}/report.docx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    cover, table = document.tables
    assert ["报送编号", w.tracking] in [[c.text for c in row.cells] for row in cover.rows]
    assert [c.text for c in table.rows[0].cells] == COLUMNS
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [row[1] for row in body] == ["第四条第二款", "总体意见"]
    assert body[0][3] == "登记期限为十五日。" and body[0][6] == f"#{w.comment.id}"
    assert body[0][5].startswith("归并意见 1 条，代表 1 人")
    assert body[1][4] == "总体赞成"  # the rationale's text, tags gone


def test_the_xlsx_holds_the_same_rows_and_defuses_formulas(submitted, app):
    w = submitted
    response = get(app, w.expert, f"/tasks/{w.task.id}/report.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header = values.index(COLUMNS)
    rows = values[header + 1 :]
    assert [row[1] for row in rows] == ["第四条第二款", "总体意见"]
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'  # shown, never evaluated


def test_the_legislature_reads_submitted_reports_only(submitted, app):
    w = submitted
    path = f"/tasks/{w.task.id}/report.docx"
    assert get(app, w.legislature, path).status_code == 404  # which point's?
    assert get(app, w.legislature, f"{path}?point_id={w.point_a.id}").status_code == 200
    assert get(app, w.legislature, f"{path}?point_id={w.point_b.id}").status_code == 404
    assert get(app, w.collector, path).status_code == 403
    # point B's manager gets point B's own (empty) preview, never point A's report
    other = Document(io.BytesIO(get(app, w.manager_b, path).data))
    assert len(other.tables[1].rows) == 1


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_libreoffice_opens_the_docx_and_its_pdf_holds_the_text(submitted, app, tmp_path):
    from pypdf import PdfReader

    w = submitted
    source = tmp_path / "report.docx"
    source.write_bytes(get(app, w.manager, f"/tasks/{w.task.id}/report.docx").data)
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "report.pdf").pages)
    compact = "".join(text.split())
    for expected in ("意见建议汇总表", "登记期限为十五日", "第四条第二款", w.tracking):
        assert expected in compact, expected
