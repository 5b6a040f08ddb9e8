"""Reading draft files into text: .txt / .md (UTF-8, UTF-16 or GB18030) and .docx.

Pure Python, like ``legal_text``: the app, the API and the CLI share it. Every refusal is an
``UnreadableDocument`` whose message says what is wrong with the file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from consult.drafts.legal_text import int_to_cn

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
DOCX_SUFFIXES = (".docx",)
# A .docx is a zip: refuse archives that would inflate far beyond any real draft.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


class UnreadableDocument(ValueError):
    """The file cannot be read as a draft; the message says why."""


def read_document(data: bytes, filename: str) -> str:
    """The text of an uploaded draft, or ``UnreadableDocument``."""
    name = filename.lower()
    if not data:
        raise UnreadableDocument("文件是空的")
    if name.endswith(DOCX_SUFFIXES):
        text = docx_text(data)
    elif name.endswith(TEXT_SUFFIXES) or "." not in name.rsplit("/", 1)[-1]:
        text = decode_text(data)
    else:
        raise UnreadableDocument(f"不支持的文件类型“{filename}”：请上传 .txt、.md 或 .docx 文件")
    if not text.strip():
        raise UnreadableDocument("文件中没有文字")
    return text


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030; binary data is refused."""
    text = _decode(data)
    if "\x00" in text:  # anywhere, in any encoding: no database stores it in text
        raise UnreadableDocument("这不是文本文件（含有二进制数据）")
    return text


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableDocument("文件声明为 UTF-16 编码，但内容无法按此解码") from None
    if b"\x00" in data[:8192]:  # binary: do not even try the encodings
        raise UnreadableDocument("这不是文本文件（含有二进制数据）")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("无法识别文件编码：请保存为 UTF-8 或 GB18030 文本")


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnreadableDocument("这不是有效的 .docx 文件（不是 zip 格式）") from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise UnreadableDocument("这个 .docx 文件的压缩比异常，可能是压缩炸弹，已拒绝")
    if total > MAX_UNZIPPED_BYTES:
        raise UnreadableDocument("这个 .docx 文件解压后过大，已拒绝")
    if "word/document.xml" not in archive.namelist():
        raise UnreadableDocument("这不是有效的 .docx 文件（缺少 word/document.xml）")
    return archive


def docx_text(data: bytes) -> str:
    """Paragraphs and tables in document order, with Word's automatic numbering written out."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnreadableDocument(f"无法读取这个 .docx 文件：{exc}") from None
    numbering = _Numbering(document)
    return "\n".join(_docx_lines(document, numbering))


def _docx_lines(document, numbering: _Numbering) -> Iterator[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            yield numbering.prefix(paragraph) + paragraph.text
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                    if not cells or cells[-1] != text:  # merged cells repeat their text
                        cells.append(text)
                yield "\t".join(cells)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _roman(n: int) -> str:
    values = (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    )  # fmt: skip
    out = []
    for value, letters in values:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


_FORMATS = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": lambda n: str(n).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    ),
    "decimalFullWidth2": lambda n: str(n).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    ),
    "chineseCounting": int_to_cn,
    "chineseCountingThousand": int_to_cn,
    "chineseLegalSimplified": int_to_cn,
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "japaneseCounting": int_to_cn,
    "taiwaneseCounting": int_to_cn,
    "taiwaneseCountingThousand": int_to_cn,
    "lowerLetter": _letters,
    "upperLetter": lambda n: _letters(n).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
    "decimalEnclosedParen": lambda n: f"({n})",
    "decimalEnclosedCircle": lambda n: chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n),
    "none": lambda n: "",
}


class _Numbering:
    """Word's automatic numbering (numbering.xml), rendered as the text it displays."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}
        self.counters: dict[str, list[int]] = {}
        self.styles: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for node in root.iter(f"{_W}abstractNum"):
            levels = {}
            for lvl in node.iter(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                start = lvl.find(f"{_W}start")
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                levels[ilvl] = (
                    int(start.get(f"{_W}val", "1")) if start is not None else 1,
                    fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{_W}val", "") if text is not None else "",
                )
            abstract[node.get(f"{_W}abstractNumId")] = levels
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            levels = dict(abstract.get(ref.get(f"{_W}val"), {}))
            for override in num.iter(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                if start is not None and ilvl in levels:
                    _s, fmt, text = levels[ilvl]
                    levels[ilvl] = (int(start.get(f"{_W}val", "1")), fmt, text)
            self.levels[num.get(f"{_W}numId")] = levels
        for style in document.styles:
            ppr = getattr(style.element, "pPr", None)
            numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
            if numpr is not None:
                num_id = numpr.find(f"{_W}numId")
                ilvl = numpr.find(f"{_W}ilvl")
                if num_id is not None:
                    self.styles[style.style_id] = (
                        num_id.get(f"{_W}val"),
                        int(ilvl.get(f"{_W}val", "0")) if ilvl is not None else 0,
                    )

    def prefix(self, paragraph) -> str:
        if not self.levels:
            return ""
        ppr = paragraph._p.pPr
        numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
        num_id: str | None = None
        ilvl = 0
        if numpr is not None:
            node = numpr.find(f"{_W}numId")
            level = numpr.find(f"{_W}ilvl")
            num_id = node.get(f"{_W}val") if node is not None else None
            ilvl = int(level.get(f"{_W}val", "0")) if level is not None else 0
        elif paragraph.style is not None and paragraph.style.style_id in self.styles:
            num_id, ilvl = self.styles[paragraph.style.style_id]
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        levels = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        start = levels[ilvl][0]
        counters[ilvl] = counters[ilvl] + 1 if counters[ilvl] else start
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        text = levels[ilvl][2]
        for level in range(9):
            marker = f"%{level + 1}"
            if marker in text:
                value = counters[level] or (levels.get(level, (1, "", ""))[0])
                fmt = levels.get(level, (1, "decimal", ""))[1]
                text = text.replace(marker, _FORMATS.get(fmt, str)(value))
        if levels[ilvl][1] == "bullet":
            return ""
        return text + ("　" if text and not text.endswith((" ", "　", "、", ".", "．")) else "")
