"""cxtracker.tabular: the one reader of uploaded CSV / XLSX files and the one writer of CSV / XLSX
downloads, with their rules pinned on concrete files."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cxtracker.tabular import TableError, csv_response, csv_text, file_response, table_read, xlsx_append, xlsx_bytes


@pytest.fixture(autouse=True)
def _english():
    """The messages as written in the code (the default language is French)."""
    with translation.override("en"):
        yield


def _read(content: bytes | str, name="data.csv", **kwargs):
    data = content.encode() if isinstance(content, str) else content
    table = table_read(SimpleUploadedFile(name, data), **kwargs)
    return table.header, list(table.rows)


def _xlsx(*sheets: list[list], active: int = 0) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for i, rows in enumerate(sheets):
        sheet = book.create_sheet(f"Sheet {i + 1}")
        for row in rows:
            sheet.append(row)
    book.active = active
    return xlsx_bytes(book)


def _error(content: bytes | str, name="data.csv", **kwargs) -> str:
    with pytest.raises(TableError) as error:
        _read(content, name, **kwargs)
    return str(error.value)


# --- reading: delimiter, encoding, rows ----------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_sniffed_from_the_header_line(delimiter):
    text = delimiter.join(["code", "name", "kind"]) + "\n" + delimiter.join(["R1", "Nord", "region"]) + "\n"
    assert _read(text) == (["code", "name", "kind"], [(2, ["R1", "Nord", "region"])])


def test_the_header_decides_the_delimiter_not_the_decimal_commas_of_the_data():
    header, rows = _read("metric;unit;period;value\nrevenue;T1;2026-03;1,5\nnps;T1;2026-03;2,25\n")
    assert header == ["metric", "unit", "period", "value"]
    assert [cells for _number, cells in rows] == [["revenue", "T1", "2026-03", "1,5"], ["nps", "T1", "2026-03", "2,25"]]


def test_a_utf8_bom_is_not_part_of_the_first_column():
    assert _read("\ufeffcode,name\nR-É,Été\n") == (["code", "name"], [(2, ["R-É", "Été"])])


def test_a_windows_1252_file_reads_its_accents():
    assert _read("code;name\nE1;Hélène Côté\n".encode("cp1252")) == (["code", "name"], [(2, ["E1", "Hélène Côté"])])


def test_a_file_that_is_not_utf8_nor_windows_1252_is_refused_not_garbled():
    assert _error(b"code,name\n\x81\x8d\x8f,x\n") == "The file's text encoding is not readable: save it as CSV UTF-8."
    assert _error("code,name\nE1,Léa\n".encode("utf-16")) == "This is not a text CSV file: save it as CSV UTF-8."
    with translation.override("fr"):
        assert _error(b"\x81") == "L’encodage du texte du fichier est illisible\u202f: enregistrez-le en CSV UTF-8."


def test_blank_rows_are_skipped_and_the_others_keep_their_numbers():
    header, rows = _read("\n\ncode,name,,\n\nA,B\n , ,\nC\nD,E,F,G\n")
    assert header == ["code", "name"]
    # Cut or padded to the header's width: trailing empty header cells are no columns.
    assert rows == [(5, ["A", "B"]), (7, ["C", None]), (8, ["D", "E"])]


def test_a_cell_over_several_lines_is_one_row_as_in_a_spreadsheet():
    assert _read('external_id,comment\nq-1,"Très bien,\nmerci"\nq-2,RAS\n') == (
        ["external_id", "comment"],
        [(2, ["q-1", "Très bien,\nmerci"]), (3, ["q-2", "RAS"])],
    )


def test_file_level_errors():
    assert _error("a,b\n", name="data.txt") == "Unknown file type “.txt”: upload a .csv or .xlsx file."
    assert _error("", name="empty.csv") == "The file is empty."
    assert _error(" \n\r\n", name="blank.csv") == "The file is empty."
    assert _error(",,\n , \n", name="commas.csv") == "The file is empty."
    assert _error("not a zip", name="data.xlsx") == (
        "This is not a readable XLSX file: save it in Excel as an Excel workbook (.xlsx)."
    )
    assert _error("a,b\n" + "1,2\n" * 600_000, max_bytes=1024 * 1024) == (
        "The file is too big (2.3 MB): the limit is 1 MB."
    )


def test_the_given_name_decides_the_format_of_a_stored_file():
    stored = SimpleUploadedFile("uploads/3f9a2c", b"code,name\nR1,Nord\n")
    assert list(table_read(stored, name="units.CSV").rows) == [(2, ["R1", "Nord"])]


# --- reading: XLSX -------------------------------------------------------------------------------


def test_xlsx_reads_the_first_sheet_with_its_cells_as_stored():
    data = _xlsx(
        [
            [None],
            ["code", "name", "active_from", "score", None],
            [1042, "Léa", datetime.datetime(2026, 1, 31, 0, 0), 4.5, None],
            [None, None, None, None],
            ["E2", "Hugo", datetime.date(2025, 9, 15), 7],
        ],
        [["other", "sheet"], ["x", "y"]],
        active=1,
    )
    header, rows = _read(data, name="MEMBERS.XLSX")
    assert header == ["code", "name", "active_from", "score"]
    assert rows == [
        (3, [1042, "Léa", datetime.datetime(2026, 1, 31, 0, 0), 4.5]),
        (5, ["E2", "Hugo", datetime.datetime(2025, 9, 15, 0, 0), 7]),
    ]


# --- writing: CSV --------------------------------------------------------------------------------

ROW = ["Lille 1", 0.4167, -2, -0.5, 12, True, None, float("nan"), 0.000123456, datetime.date(2026, 3, 1)]


def test_a_french_csv_has_semicolons_and_decimal_commas():
    assert csv_text(["Unité", "Taux"], [ROW], language="fr") == (
        "\ufeffUnité;Taux\r\nLille 1;0,4167;-2;-0,5;12;1;;;0,000123;2026-03-01\r\n"
    )


def test_an_english_csv_has_commas_and_points():
    assert csv_text(["Unit", "Rate"], [ROW], language="en") == (
        "\ufeffUnit,Rate\r\nLille 1,0.4167,-2,-0.5,12,1,,,0.000123,2026-03-01\r\n"
    )


def test_a_data_file_keeps_commas_and_points_in_french_too():
    assert csv_text(["code", "rate"], [["T1", 0.5]]) == "\ufeffcode,rate\r\nT1,0.5\r\n"


def test_csv_text_that_a_spreadsheet_would_run_is_quoted_numbers_are_not():
    cells = ["=1+1", "+33 6 12", "-x", "@SUM(A1)", "\tx", "\rx", "a=b", -3, -1.25]
    text = csv_text(["c"] * len(cells), [cells], language="en")
    assert text.split("\r\n")[1] == "'=1+1,'+33 6 12,'-x,'@SUM(A1),'\tx,\"'\rx\",a=b,-3,-1.25"


def test_csv_response_is_a_named_download():
    response = csv_response(["code"], [["=evil"]], filename="cxtracker-units.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cxtracker-units.csv"'
    assert response.content.decode("utf-8") == "\ufeffcode\r\n'=evil\r\n"


# --- writing: XLSX -------------------------------------------------------------------------------


def test_xlsx_text_is_never_a_formula_and_numbers_stay_numbers():
    book = openpyxl.Workbook()
    xlsx_append(book.active, ['=HYPERLINK("http://x.example","y")', "+33", "-x", "@A1", -2, -0.5, True, "bell\x07"])
    response = file_response(xlsx_bytes(book), filename="report.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cells = list(openpyxl.load_workbook(io.BytesIO(response.content)).active[1])
    assert [(c.value, c.data_type) for c in cells] == [
        ('=HYPERLINK("http://x.example","y")', "s"),
        ("+33", "s"),
        ("-x", "s"),
        ("@A1", "s"),
        (-2, "n"),
        (-0.5, "n"),
        (True, "b"),
        ("bell", "s"),  # a control character would make openpyxl refuse the whole file
    ]
