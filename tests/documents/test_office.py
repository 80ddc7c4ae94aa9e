"""Word, PowerPoint and Excel ingest, and hostile office files (zip bombs, disguises, locks)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile

import docx
import openpyxl
import pptx
import pytest
from pptx.util import Inches

from casebook.config import Settings
from casebook.documents import Unreadable, detect_type, extract_pages, guards

SETTINGS = Settings()
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Overview", level=1)
    document.add_paragraph("Acme builds robots for warehouses.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Metric", "Value"
    table.cell(1, 0).text, table.cell(1, 1).text = "Revenue", "12 M€"
    document.add_paragraph("Text after the table.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pptx() -> bytes:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Strategy 2025"
    slide.placeholders[1].text_frame.text = "Grow in Europe"
    rows = slide.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    rows.cell(0, 0).text, rows.cell(0, 1).text = "Market", "Share"
    rows.cell(1, 0).text, rows.cell(1, 1).text = "DACH", "18%"
    slide.notes_slide.notes_text_frame.text = "Mention the pilot customer."
    blank = presentation.slides.add_slide(presentation.slide_layouts[6])
    box = blank.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    box.text_frame.text = "A slide without a title"
    presentation.slides.add_slide(presentation.slide_layouts[6])  # empty: left out
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def make_xlsx(sheets: int = 2) -> bytes:
    workbook = openpyxl.Workbook()
    revenue = workbook.active
    revenue.title = "Revenue"
    revenue.append(["Quarterly revenue report"])
    revenue.append([])
    revenue.append(["Region", "Q1", "Share", "Closed"])
    revenue.append(["EMEA", 1200.0, 0.1 + 0.2, dt.datetime(2024, 3, 31)])
    revenue.append(["APAC", 950, None, None])
    for index in range(1, sheets):
        extra = workbook.create_sheet(f"Notes {index}")
        extra.append(["Remark"])
        extra.append(["Prices rose in Zürich."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_member(data: bytes, name: str, size: int) -> bytes:
    """`data` (a zip) plus a member of `size` zero bytes, streamed so memory stays low."""
    buffer = io.BytesIO(data)
    block = bytes(1 << 20)
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for _ in range(size // len(block)):
            member.write(block)
    return buffer.getvalue()


def reason(name: str, data: bytes, settings: Settings = SETTINGS) -> str:
    with pytest.raises(Unreadable) as caught:
        extract_pages(name, data, settings)
    return caught.value.reason


def test_docx_paragraphs_and_tables_in_order() -> None:
    data = make_docx()
    assert detect_type("report.docx", data) == "docx"
    assert detect_type("report.pdf", data) == "docx"  # content first
    pages = extract_pages("report.docx", data, SETTINGS)
    assert len(pages) == 1 and pages[0].page is None and pages[0].section is None
    assert pages[0].text.splitlines() == [
        "Overview",
        "Acme builds robots for warehouses.",
        "",
        "Metric | Value",
        "Revenue | 12 M€",
        "",
        "Text after the table.",
    ]


def test_pptx_one_page_per_slide_with_titles_tables_notes() -> None:
    data = make_pptx()
    assert detect_type("deck.pptx", data) == "pptx"
    pages = extract_pages("deck.pptx", data, SETTINGS)
    assert [(p.page, p.section) for p in pages] == [(1, "Strategy 2025"), (2, None)]
    first = pages[0].text
    assert first.startswith("Strategy 2025\nGrow in Europe")
    assert "Market | Share\nDACH | 18%" in first
    assert first.endswith("Notes: Mention the pilot customer.")
    assert pages[1].text == "A slide without a title"


def test_xlsx_one_page_per_sheet_as_records() -> None:
    data = make_xlsx()
    assert detect_type("book.xlsx", data) == "xlsx"
    pages = extract_pages("book.xlsx", data, SETTINGS)
    assert [(p.page, p.section) for p in pages] == [(1, "Revenue"), (2, "Notes 1")]
    lines = pages[0].text.splitlines()
    assert lines[:2] == ["Quarterly revenue report", "Region | Q1 | Share | Closed"]
    assert [json.loads(line) for line in lines[2:]] == [
        {"Region": "EMEA", "Q1": 1200, "Share": 0.3, "Closed": "2024-03-31"},
        {"Region": "APAC", "Q1": 950},
    ]
    remark = json.dumps({"Remark": "Prices rose in Zürich."}, ensure_ascii=False)
    assert pages[1].text.splitlines() == ["Remark", remark]


def test_too_many_slides_and_sheets() -> None:
    assert "3 sheets, over the limit of 2" in reason("b.xlsx", make_xlsx(3), Settings(max_pages=2))
    assert "3 slides, over the limit of 1" in reason("d.pptx", make_pptx(), Settings(max_pages=1))


def test_zip_bomb_refused_before_python_docx_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = with_member(make_docx(), "word/media/zeros.bin", 16 << 20)
    opened: list[object] = []
    monkeypatch.setattr("casebook.documents.formats.word.docx.package.Package.open", opened.append)
    assert len(bomb) < 200_000
    text = reason("bomb.docx", bomb, Settings(max_unzipped_mb=1))
    assert "refusing a possible zip bomb" in text and "over the 1 MB limit" in text
    monkeypatch.setattr(guards, "RATIO_FLOOR_BYTES", 2 << 20)  # a real floor is 64 MB: keep the test small
    text = reason("bomb.docx", bomb)
    assert "refusing a possible zip bomb" in text and "over the 200x limit" in text
    assert opened == []


def test_steep_but_small_expansion_is_no_bomb() -> None:
    """A real deck: blank images and repetitive XML expand a thousandfold, to a few MB in all."""
    deck = with_member(make_pptx(), "ppt/media/blank.bmp", 8 << 20)
    with zipfile.ZipFile(io.BytesIO(deck)) as archive:
        member = archive.getinfo("ppt/media/blank.bmp")
        assert member.file_size / member.compress_size > 500
    pages = extract_pages("deck.pptx", deck, SETTINGS)
    assert pages[0].section == "Strategy 2025"


def test_zip_bomb_xlsx_and_too_many_members(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = with_member(make_xlsx(), "xl/media/zeros.bin", 2 << 20)
    assert "zip bomb" in reason("bomb.xlsx", bomb, Settings(max_unzipped_mb=1))
    monkeypatch.setattr(guards, "RATIO_FLOOR_BYTES", 1 << 20)
    assert "zip bomb" in reason("bomb.xlsx", bomb)
    monkeypatch.setattr(guards, "MAX_ZIP_MEMBERS", 5)
    assert "parts, over 5" in reason("many.pptx", make_pptx())


def test_unreadable_is_an_input_error() -> None:
    from casebook.errors import InputError

    with pytest.raises(InputError):
        extract_pages("x.docx", b"", SETTINGS)


def test_office_kind_found_by_content() -> None:
    assert detect_type("export.bin", make_xlsx()) == "xlsx"
    assert detect_type("deck", make_pptx()) == "pptx"


def test_random_bytes_named_docx() -> None:
    data = random.Random(1).randbytes(2048)
    assert "not a Word file despite its name" in reason("report.docx", data)


def test_zip_that_is_not_office() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/a.txt", "hello")
    text = reason("report.docx", buffer.getvalue())
    assert "not a Word file despite its name" in text and "ZIP archive" in text
    assert "ZIP archive" in reason("bundle.zip", buffer.getvalue())


def test_truncated_and_corrupt_office_files() -> None:
    data = make_docx()
    assert "corrupt or truncated Word file" in reason("cut.docx", data[: len(data) // 2])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            body = b"<w:document" if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item, body)
    assert "corrupt or unreadable Word file" in reason("broken.docx", buffer.getvalue())


def test_legacy_and_encrypted_ole_files() -> None:
    legacy = OLE + bytes(1024)
    assert "legacy Word/Excel format: save as .docx/.xlsx" in reason("old.doc", legacy)
    assert "legacy Word/Excel format: save as .docx/.xlsx" in reason("old.xls", legacy)
    text = reason("renamed.docx", legacy)
    assert "not a Word file despite its name" in text and "legacy Word/Excel" in text
    encrypted = OLE + bytes(512) + "EncryptedPackage".encode("utf-16-le") + bytes(512)
    assert "password-protected Office file" in reason("locked.xlsx", encrypted)


@pytest.mark.parametrize("maker", [make_docx, make_pptx, make_xlsx])
def test_damaged_office_files_only_ever_raise_unreadable(maker: object) -> None:
    assert callable(maker)
    original: bytes = maker()
    rng = random.Random(11)
    for _ in range(25):
        data = bytearray(original)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            extract_pages("damaged", bytes(data), SETTINGS)
        except Unreadable as exc:
            assert exc.reason
