"""Reading and writing CSV / XLSX, safely.

Reading refuses zip bombs and over-large sheets; writing neutralises formula injection
(a cell that starts with = + - @ is written as text), so that no export can run a formula
on the computer of whoever opens it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from consult.core.errors import ValidationFailed

MAX_ROWS = 20_000
MAX_COLUMNS = 60
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnreadableFile(ValueError):
    """The upload cannot be read as the kind of file it claims to be."""


def check_zip(data: bytes, required: str, kind: str) -> zipfile.ZipFile:
    """Open an Office file (a zip), refusing bombs and files without their main part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnreadableFile(
            _("This is not a valid %(kind)s file (not a zip archive).", kind=kind)
        ) from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise UnreadableFile(
                _(
                    "This %(kind)s file is compressed suspiciously well (a zip bomb?): refused.",
                    kind=kind,
                )
            )
        if total > MAX_UNZIPPED_BYTES:
            raise UnreadableFile(
                _("This %(kind)s file is too large once unpacked: refused.", kind=kind)
            )
    if required not in archive.namelist():
        raise UnreadableFile(
            _("This is not a valid %(kind)s file (%(part)s is missing).", kind=kind, part=required)
        )
    return archive


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """The rows of an uploaded .xlsx or .csv as lists of trimmed strings."""
    name = filename.lower()
    if not data:
        raise UnreadableFile(_("The file is empty."))
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith(".csv"):
        rows = _csv_rows(data)
    else:
        raise UnreadableFile(_("Upload an .xlsx or .csv file."))
    if len(rows) > MAX_ROWS + 1:
        raise UnreadableFile(_("The file has more than %(n)d rows: split it.", n=MAX_ROWS))
    return rows


def _xlsx_rows(data: bytes) -> list[list[str]]:
    import openpyxl

    check_zip(data, "[Content_Types].xml", "XLSX")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on malformed files
        raise UnreadableFile(_("The spreadsheet cannot be read: %(error)s", error=exc)) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append([cell_text(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data:  # anywhere: no database stores it in text (a binary or UTF-16 file)
        raise UnreadableFile(_("This is not a text file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("Save the CSV file as UTF-8."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [
        [cell.strip() for cell in row[:MAX_COLUMNS]]
        for row in csv.reader(io.StringIO(text), dialect)
    ]


def safe_cell(value: Any) -> Any:
    """A value that a spreadsheet program shows and never evaluates."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(cell_text(v) if not isinstance(v, str) else v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def require_rows(rows: list[list[str]]) -> None:
    if not rows or not any(any(cell for cell in row) for row in rows[1:]):
        raise ValidationFailed(
            _("The file has no data rows."), fields={"file": [_("The file has no data rows.")]}
        )


def header_map(
    header: list[str], columns: dict[str, tuple[str, str]]
) -> tuple[dict[int, str], list[str]]:
    """Which column holds which key, from headers in Chinese, English or as keys; marks such
    as “（必填）” and “*” are ignored. Returns the mapping and the unknown headers."""
    names = {}
    for key, (zh, en) in columns.items():
        names[zh] = key
        names[en] = key
        names[key] = key
    mapping: dict[int, str] = {}
    unknown = []
    for index, title in enumerate(header):
        title = re.sub(r"[\s*＊（）()必填选填]", "", title or "")
        if not title:
            continue
        key = names.get(title) or names.get(title.lower())
        if key is None:
            unknown.append(title)
        else:
            mapping[index] = key
    return mapping, unknown
