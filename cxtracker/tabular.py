"""Every CSV and XLSX file that cxtracker reads or writes goes through here, so that the HR imports
(``tenancy.imports``), the survey and metric uploads (``kpis.uploads``) and every download follow
the same rules.

Reading: ``table_read`` turns an uploaded file, CSV or XLSX by its extension, into a ``Table``: the
header and the data rows, each with its row number in the file (the header's row is 1).

- Text: UTF-8, with or without a byte-order mark; failing that Windows-1252, which Excel's "CSV"
  export still writes on Windows. The fallback is strict: a file that is neither, or that holds
  NUL bytes (UTF-16, a binary file renamed .csv), is refused with a message that says to save it
  as CSV UTF-8, rather than stored with replacement characters (the uploads' reader used to).
- Delimiter: whichever of ``;``, ``,`` and tab the header line holds most of (``;`` on a tie: the
  French Excel's). The header names the columns, so it decides; data rows, with their decimal
  commas and free text, cannot mislead it.
- Rows: the header is the first non-blank row, its trailing empty cells dropped; blank rows are
  skipped without renumbering the others; every data row is cut or padded (with None) to the
  header's width. A row number is the row a spreadsheet shows: a quoted cell over several lines
  is one row, as in Excel.
- XLSX: the first sheet, read by openpyxl in read-only mode; cells as stored (numbers as int or
  float, dates as naive datetimes, empty cells as None): what a cell means is the importer's call.

Writing: ``csv_text`` and ``csv_response``; ``xlsx_append`` and ``xlsx_bytes`` (the sheets' layout,
fonts and number formats stay with the caller). One guard against formula injection for both: a
text that starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` in CSV (what a
spreadsheet shows as text) and is stored as a string cell in XLSX, never a formula. Numbers stay
numbers, negative ones included.

A CSV for a person (``language`` given) follows their spreadsheet: French gets ``;`` and decimal
commas (a French Excel splits on semicolons, the comma being its decimal mark), other languages
``,`` and points. A data file (``language=None``: import templates, files
keyed by codes that programs and the imports read back) keeps ``,`` and points in any language.
Every CSV starts with a UTF-8 byte-order mark: without it Excel reads the accents wrong.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePath

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

EXTENSIONS = (".csv", ".xlsx")
_CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_DELIMITERS = (";", ",", "\t")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The first line with something on it (a file may open with blank lines).
_HEADER_LINE = re.compile(r"^.*\S.*$", re.MULTILINE)


class TableError(Exception):
    """The file as a whole cannot be read or used; the message says why, for whoever sent it."""


@dataclasses.dataclass
class Table:
    header: list[str]
    # (row number in the file, cells): read as they are iterated, once.
    rows: Iterator[tuple[int, list]]


# --- reading -------------------------------------------------------------------------------------


def table_read(file, *, name: str | None = None, max_bytes: int | None = None) -> Table:
    """The header and the data rows of an uploaded CSV or XLSX file; ``name`` (by default the
    file's) gives the format. Raises TableError when the file cannot be read at all."""
    extension = PurePath((file.name if name is None else name) or "").suffix.lower()
    if extension not in EXTENSIONS:
        raise TableError(_("Unknown file type “%(ext)s”: upload a .csv or .xlsx file.") % {"ext": extension or "?"})
    if max_bytes is not None and file.size > max_bytes:
        raise TableError(
            _("The file is too big (%(size)s MB): the limit is %(limit)s MB.")
            % {"size": f"{file.size / 1024 / 1024:.1f}", "limit": max_bytes // 1024 // 1024}
        )
    data = file.read()
    if not data or data.isspace():
        raise TableError(_("The file is empty."))
    records = _csv_records(data) if extension == ".csv" else _xlsx_records(data)
    rows = ((number, cells) for number, cells in records if any(map(_filled, cells)))
    first = next(rows, None)
    if first is None:
        raise TableError(_("The file is empty."))
    header = ["" if cell is None else str(cell).strip() for cell in first[1]]
    while header and not header[-1]:
        header.pop()
    return Table(header, ((number, _fit(cells, len(header))) for number, cells in rows))


def _fit(cells: list, width: int) -> list:
    return cells[:width] + [None] * (width - len(cells))


def _filled(cell) -> bool:
    return cell is not None and (not isinstance(cell, str) or bool(cell.strip()))


def _csv_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_("The file's text encoding is not readable: save it as CSV UTF-8."))
    if "\0" in text:
        raise TableError(_("This is not a text CSV file: save it as CSV UTF-8."))
    return text


def _csv_records(data: bytes) -> Iterator[tuple[int, list]]:
    text = _csv_text(data)
    line = _HEADER_LINE.search(text)
    delimiter = max(_DELIMITERS, key=line[0].count) if line else _DELIMITERS[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:
        raise TableError(
            _("Row %(row)s of the file cannot be read: %(error)s") % {"row": number + 1, "error": error}
        ) from None


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise TableError(
            _("This is not a readable XLSX file: save it in Excel as an Excel workbook (.xlsx).")
        ) from None
    if not workbook.worksheets:
        workbook.close()
        raise TableError(_("The file is empty."))
    return _xlsx_rows(workbook)


def _xlsx_rows(workbook) -> Iterator[tuple[int, list]]:
    try:
        for number, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


# --- writing -------------------------------------------------------------------------------------


def _guarded(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _is_french(language: str | None) -> bool:
    return bool(language) and language.startswith("fr")


def _csv_cell(value, french: bool):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        # Four decimals, but a small p-value keeps three significant digits.
        text = repr(round(value, 4)) if value == 0 or abs(value) >= 0.001 else f"{value:.3g}"
        return text.replace(".", ",") if french else text
    if isinstance(value, int):
        return value
    return _guarded(str(value))


def csv_text(header: Sequence, rows: Iterable[Sequence], *, language: str | None = None) -> str:
    """The header and the rows as the text of a CSV file (BOM first, CRLF line ends): empty
    cells for None and NaN, booleans as 1 and 0, floats to four decimals, text guarded."""
    french = _is_french(language)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";" if french else ",", lineterminator="\r\n")
    writer.writerow([_csv_cell(value, french) for value in header])
    for row in rows:
        writer.writerow([_csv_cell(value, french) for value in row])
    return out.getvalue()


def file_response(content: str | bytes, *, filename: str, content_type: str | None = None) -> HttpResponse:
    """A download named ``filename``; its content type follows the extension unless given."""
    response = HttpResponse(content, content_type=content_type or _CONTENT_TYPES[PurePath(filename).suffix.lower()])
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_response(
    header: Sequence, rows: Iterable[Sequence], *, filename: str, language: str | None = None
) -> HttpResponse:
    return file_response(csv_text(header, rows, language=language), filename=filename)


def xlsx_append(sheet, row: Iterable) -> None:
    """Append a row to an openpyxl worksheet: text as string cells (never a formula, whatever it
    starts with), without the control characters that XLSX cannot hold (openpyxl would refuse the
    whole file); numbers, dates and booleans as they are."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    cells = []
    for value in row:
        if isinstance(value, str):
            cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # openpyxl would make "=…" a formula
            value = cell
        cells.append(value)
    sheet.append(cells)


def xlsx_bytes(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
