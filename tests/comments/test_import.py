"""Bulk entry: the template, validate-everything-first, preview and confirm, no duplicates."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
from sqlalchemy import func, select

from consult.comments.models import Comment, CommentSource
from consult.core.spreadsheets import safe_cell, write_csv
from consult.extensions import db
from tests.conftest import bearer, csrf_token, sign_in

CLAUSES = ["第一条", "第四条第二款", "第四条第二款第（一）项", "总体意见", "第6条"]


def comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def sheet_csv(rows: int, bad_row: int | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["条款", "意见", "修改建议", "收集方式", "收集日期", "代表人数"])
    for n in range(rows):
        clause = "第九十九条" if n + 2 == bad_row else CLAUSES[n % len(CLAUSES)]
        writer.writerow(
            [clause, f"第{n}条意见：登记手续应当简化。", "", "座谈会", "2026-11-01", str(1 + n % 5)]
        )
    return buffer.getvalue().encode("utf-8")


def upload(client, task_id, data, name, headers, dry_run=False):
    url = f"/api/v1/tasks/{task_id}/comments/import" + ("?dry_run=1" if dry_run else "")
    return client.post(url, data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")  # fmt: skip


def test_thousand_rows_one_bad_then_fixed_then_again(client, world):
    headers = bearer(None, world.collector)
    before = comment_count()
    response = upload(client, world.task.id, sheet_csv(1000, bad_row=537), "意见.csv", headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert list(error["fields"]) == ["row 537"]
    assert "条款" in error["fields"]["row 537"][0] and "第九十九条" in error["fields"]["row 537"][0]
    assert comment_count() == before
    dry = upload(client, world.task.id, sheet_csv(1000), "意见.csv", headers, dry_run=True)
    assert dry.status_code == 200 and dry.get_json()["valid_rows"] == 1000
    assert comment_count() == before
    done = upload(client, world.task.id, sheet_csv(1000), "意见.csv", headers)
    assert done.status_code == 201 and done.get_json()["imported"] == 1000
    assert comment_count() == before + 1000
    again = upload(client, world.task.id, sheet_csv(1000), "意见.csv", headers)
    assert again.get_json() == {
        "dry_run": False,
        "valid_rows": 0,
        "duplicates": 1000,
        "imported": 0,
    }
    assert comment_count() == before + 1000
    imported = db.session.scalars(
        select(Comment).where(Comment.source == CommentSource.IMPORTED)
    ).all()
    assert {c.unit_id for c in imported} == {world.unit_a.id}
    assert sum(c.participants for c in imported) == sum(1 + n % 5 for n in range(1000))


def test_every_bad_row_is_named_with_its_reason(client, world):
    rows = [
        ["条款", "意见", "收集方式", "收集日期", "代表人数", "姓名"],
        ["第四条第五款", "甲", "座谈会", "2026-11-01", "1", ""],
        ["第一条", "", "座谈会", "2026-11-01", "1", ""],
        ["第一条", "乙", "飞鸽传书", "2026-11-01", "1", ""],
        ["第一条", "丙", "走访", "昨天", "1", ""],
        ["第一条", "丁", "走访", "2026-11-01", "零", ""],
        ["第一条", "戊", "走访", "2026-11-01", "2", "张三"],
    ]
    data = write_csv(rows[0], rows[1:])
    response = upload(client, world.task.id, data, "bad.csv", bearer(None, world.collector))
    fields = response.get_json()["error"]["fields"]
    assert sorted(fields, key=lambda k: int(k.split()[1])) == [f"row {n}" for n in range(2, 8)]
    assert "第四条只有二款" in fields["row 2"][0]
    assert fields["row 3"][0].startswith("意见")
    assert fields["row 4"][0].startswith("收集方式")
    assert fields["row 5"][0].startswith("收集日期")
    assert fields["row 6"][0].startswith("代表人数")
    assert fields["row 7"][0].startswith("姓名")  # the point does not record names


def test_unknown_column_and_wrong_files(client, world):
    headers = bearer(None, world.collector)
    unknown = write_csv(["条款", "意见", "身份证号"], [["第一条", "甲", "500101"]])
    response = upload(client, world.task.id, unknown, "x.csv", headers)
    assert response.status_code == 422 and "身份证号" in str(response.get_json()["error"]["fields"])
    late_nul = sheet_csv(100)[:-2] + b"\x00\r\n"  # past the first 4 KB; PostgreSQL refuses it
    assert len(late_nul) > 4096
    wrong = [(b"%PDF-1.4", "x.pdf"), (b"PK\x03\x04junk", "x.xlsx"), (b"", "x.csv"),
             (late_nul, "nul.csv")]  # fmt: skip
    for data, name in wrong:
        response = upload(client, world.task.id, data, name, headers)
        assert response.status_code == 422, name
        assert (
            "file" in response.get_json()["error"]["fields"]
            or response.get_json()["error"]["fields"]
        )


def test_template_has_the_clause_drop_down(client, world):
    sign_in(client, world.collector)
    response = client.get(f"/tasks/{world.task.id}/comments/template.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook["意见"]
    assert [c.value for c in sheet[1]][:3] == ["条款", "意见", "修改建议"]
    validations = sheet.data_validations.dataValidation
    formulas = sorted(v.formula1 for v in validations)
    assert any("选项!$A$1" in f for f in formulas) and any("选项!$B$1" in f for f in formulas)
    options = [row[0].value for row in workbook["选项"].iter_rows()]
    assert "第四条第二款第（三）项" in options and options[0] == "总体意见"


def test_page_flow_check_preview_confirm(client, world):
    sign_in(client, world.collector)
    path = f"/tasks/{world.task.id}/comments/import"
    before = comment_count()
    workbook = openpyxl.Workbook()
    workbook.active.append(["条款", "意见", "收集方式", "代表人数"])
    workbook.active.append(["第四条第二款", "登记应免费。", "座谈会", 3])
    workbook.active.append(["总体意见", "同意草案。", "网络", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(path, data={"file": (io.BytesIO(buffer.getvalue()), "意见.xlsx"),
                                       "csrf_token": csrf_token(client, path)},
                           content_type="multipart/form-data")  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200, re.findall(r"<td>.*?</td>", html)
    assert "全部 2 行均有效" in html and comment_count() == before
    confirm_url = re.search(r'action="(/tasks/\d+/comments/import/\d+/confirm)"', html).group(1)
    done = client.post(confirm_url, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 302 and comment_count() == before + 2
    stored = db.session.scalar(select(Comment).where(Comment.body == "登记应免费。"))
    assert stored.participants == 3 and stored.clause.citation == "第四条第二款"
    twice = client.post(confirm_url, data={"csrf_token": csrf_token(client, path)})
    assert twice.status_code == 409 and comment_count() == before + 2


def test_text_that_looks_like_a_formula_is_kept_as_text(client, world):
    data = write_csv(["条款", "意见"], [["第一条", '=HYPERLINK("http://x")']])
    # write_csv neutralises it; a hand-made CSV may not: import the raw text
    raw = '条款,意见\n第一条,"=HYPERLINK(""http://x"")"\n'.encode()
    assert data != raw
    response = upload(client, world.task.id, raw, "f.csv", bearer(None, world.collector))
    assert response.status_code == 201
    assert db.session.scalar(select(Comment.body).where(Comment.body.like("=HYPERLINK%")))


def test_formula_injection_is_neutralised_in_exports():
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("养犬") == "养犬" and safe_cell(3) == 3
    data = write_csv(["a"], [["=cmd|' /C calc'!A0"]]).decode("utf-8-sig")
    assert "'=cmd" in data
