"""PowerPoint and Excel as real files come: macro, template and show variants, notes without
a notes placeholder, a wrong declared sheet dimension, headers over empty columns, Strict OOXML."""

from __future__ import annotations

import io
import json
import re
import zipfile

import openpyxl
import pytest

from casebook.config import Settings
from casebook.documents import detect_type, extract_pages
from tests.documents.ooxml import as_strict, rezip, with_content_type
from tests.documents.test_office import make_pptx, make_xlsx

SETTINGS = Settings()
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("deck.pptm", "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
        ("show.ppsx", "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml"),
        ("show.ppsm", "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml"),
        ("brand.potx", "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"),
        ("brand.potm", "application/vnd.ms-powerpoint.template.macroEnabled.main+xml"),
    ],
)
def test_powerpoint_variants(name: str, content_type: str) -> None:
    data = with_content_type(make_pptx(), PPTX_MAIN, content_type)
    assert detect_type(name, data) == "pptx"
    pages = extract_pages(name, data, SETTINGS)
    assert [(p.page, p.section) for p in pages] == [(1, "Strategy 2025"), (2, None)]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("model.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        ("budget.xltx", "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"),
        ("budget.xltm", "application/vnd.ms-excel.template.macroEnabled.main+xml"),
    ],
)
def test_excel_variants(name: str, content_type: str) -> None:
    data = with_content_type(make_xlsx(), XLSX_MAIN, content_type)
    assert detect_type(name, data) == "xlsx"
    assert [p.section for p in extract_pages(name, data, SETTINGS)] == ["Revenue", "Notes 1"]


def test_notes_without_a_notes_placeholder_are_read() -> None:
    """Some decks keep the speaker notes in a plain text shape of the notes page."""

    def change(name: str, body: bytes) -> bytes:
        if name == "ppt/notesSlides/notesSlide1.xml":
            body, count = re.subn(rb'<p:ph type="body"[^>]*/>', b"", body)
            assert count == 1
        return body

    pages = extract_pages("deck.pptx", rezip(make_pptx(), change), SETTINGS)
    assert pages[0].text.endswith("Notes: Mention the pilot customer.")


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Depots"
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_rows_past_a_wrong_declared_dimension_are_read() -> None:
    rows = [["Depot", "Trucks"]] + [[f"Depot {n}", n] for n in range(1, 8)]

    def change(name: str, body: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            body, count = re.subn(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:B1"/>', body)
            assert count == 1
        return body

    text = extract_pages("fleet.xlsx", rezip(workbook(rows), change), SETTINGS)[0].text
    records = [json.loads(line) for line in text.splitlines()[1:]]
    assert records == [{"Depot": f"Depot {n}", "Trucks": n} for n in range(1, 8)]


def test_header_cells_above_empty_columns_are_kept() -> None:
    rows: list[list[object]] = [["Depot", "Trucks", "Comment", "Audited"], ["Leeds", 41], ["York", 17]]
    lines = extract_pages("fleet.xlsx", workbook(rows), SETTINGS)[0].text.splitlines()
    assert lines[0] == "Depot | Trucks | Comment | Audited"
    assert [json.loads(line) for line in lines[1:]] == [
        {"Depot": "Leeds", "Trucks": 41},
        {"Depot": "York", "Trucks": 17},
    ]


def test_strict_open_xml_workbook() -> None:
    strict = as_strict(make_xlsx())
    with zipfile.ZipFile(io.BytesIO(strict)) as archive:
        assert b'xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"' in archive.read("xl/workbook.xml")
        assert b"http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet" in archive.read(
            "xl/_rels/workbook.xml.rels"
        )
    pages = extract_pages("strict.xlsx", strict, SETTINGS)
    assert [(p.page, p.section) for p in pages] == [(1, "Revenue"), (2, "Notes 1")]
    assert pages[0].text == extract_pages("book.xlsx", make_xlsx(), SETTINGS)[0].text
