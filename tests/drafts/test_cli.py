"""`flask drafts parse FILE [--json]`."""

from __future__ import annotations

import json

from tests.drafts.test_files import numbered_docx


def test_parse_json_has_the_documented_shape(runner, tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text(
        "某市养犬管理条例\n第一章　总则\n第一条　甲。\n第一条之一　乙。\n第三条　丙。\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["drafts", "parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["title"] == "某市养犬管理条例"
    assert set(data["counts"]) == {
        "part", "subpart", "chapter", "section", "article", "article_insert", "paragraph",
        "item", "subitem", "enum_section",
    }  # fmt: skip
    assert all(isinstance(v, int) for v in data["counts"].values())
    assert (data["counts"]["article"], data["counts"]["article_insert"]) == (3, 1)
    assert data["nodes"][0]["citation"] == "第一章"
    assert data["warnings"][0]["code"] == "numbering_gap"
    assert data["warnings"][0]["line"] == 5


def test_parse_summary_of_a_docx(runner, tmp_path):
    path = tmp_path / "草案.docx"
    path.write_bytes(numbered_docx())
    result = runner.invoke(args=["drafts", "parse", str(path)])
    assert result.exit_code == 0, result.output
    assert "某市养犬管理条例" in result.output and "条 3" in result.output


def test_parse_refuses_bad_files_clearly(runner, tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"not a zip at all")
    result = runner.invoke(args=["drafts", "parse", str(path)])
    assert result.exit_code == 1
    assert "不是 zip" in result.output
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2048)
    runner.app.config["MAX_CONTENT_LENGTH"] = 1024
    result = runner.invoke(args=["drafts", "parse", str(big)])
    assert result.exit_code == 1 and "upload limit" in result.output
