"""Reading uploaded drafts: encodings, Word files with automatic numbering, bad files."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml import parse_xml

from consult.drafts.files import UnreadableDocument, read_document
from consult.drafts.legal_text import parse

LAW = (
    "某市养犬管理条例\n\n第一章　总则\n"
    "第一条　为了规范养犬行为，制定本条例。\n第二条　本条例适用于本市。\n"
)

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_utf8_with_and_without_bom_gb18030_and_utf16():
    for data in (
        LAW.encode("utf-8"),
        b"\xef\xbb\xbf" + LAW.encode("utf-8"),
        LAW.encode("gb18030"),
        LAW.encode("utf-16"),
    ):
        text = read_document(data, "draft.txt")
        assert parse(text).counts()["article"] == 2


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.txt", "文件是空的"),
        (b"  \n\r\n\t ", "blank.txt", "没有文字"),
        (bytes(range(256)) * 4, "binary.txt", "不是文本文件"),
        # a NUL past the first 8 KB, and one in UTF-16: no database stores it in text
        (LAW.encode() * 80 + b"\x00", "late-nul.txt", "不是文本文件"),
        ("第一条\x00".encode("utf-16"), "utf16-nul.txt", "不是文本文件"),
        (b"PK\x03\x04 this is not really a zip", "broken.docx", "不是 zip"),
        (LAW.encode(), "draft.pdf", "不支持的文件类型"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(UnreadableDocument, match=message):
        read_document(data, name)


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def numbered_docx() -> bytes:
    """A Word draft whose article numbers (第一条…) and items（一）are automatic numbering."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.append(parse_xml(
        f'<w:abstractNum {W} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="第%1条"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="（%2）"/></w:lvl></w:abstractNum>'
    ))  # fmt: skip
    numbering.append(parse_xml(f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    document.add_paragraph("某市养犬管理条例")
    document.add_paragraph("第一章　总则")
    for level, text in [
        (0, "为了规范养犬行为，制定本条例。"),
        (0, "养犬人应当遵守下列规定："),
        (1, "办理登记；"),
        (1, "按时免疫。"),
        (0, "本条例自公布之日起施行。"),
    ]:
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'
        ))  # fmt: skip
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "收费项目"
    table.cell(0, 1).text = "标准"
    table.cell(1, 0).text = "登记费"
    table.cell(1, 1).text = "免收"
    return docx_bytes(document)


def test_docx_keeps_automatic_numbering_and_tables():
    text = read_document(numbered_docx(), "草案.docx")
    document = parse(text)
    assert document.title == "某市养犬管理条例"
    counts = document.counts()
    assert (counts["chapter"], counts["article"], counts["item"]) == (1, 3, 2)
    assert document.nodes[0].children[1].children[0].text == "养犬人应当遵守下列规定："
    assert "登记费\t免收" in text


def test_docx_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + " " * 50_000_000 + "</w:document>")
    with pytest.raises(UnreadableDocument, match="压缩"):
        read_document(buffer.getvalue(), "bomb.docx")


def test_docx_without_document_part():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word file")
    with pytest.raises(UnreadableDocument, match=r"document\.xml"):
        read_document(buffer.getvalue(), "fake.docx")
