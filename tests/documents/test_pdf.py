"""PDF ingest: pages with their numbers, and every way a PDF can be unreadable."""

from __future__ import annotations

import io
import random

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebook.config import Settings
from casebook.documents import Unreadable, chunk_pages, detect_type, extract_pages

SETTINGS = Settings()


def make_pdf(pages: list[list[str]], **canvas_options: object) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, **canvas_options)
    for lines in pages:
        y = 780.0
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFillColorRGB(0.2, 0.4, 0.6)
    pdf.rect(72, 400, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def reason(name: str, data: bytes, settings: Settings = SETTINGS) -> str:
    with pytest.raises(Unreadable) as caught:
        extract_pages(name, data, settings)
    return caught.value.reason


def test_planted_fact_is_reported_on_page_three() -> None:
    data = make_pdf(
        [
            ["Annual report", "Introduction to the company."],
            ["Markets and products."],
            ["Finance section.", "The planted fact: revenue was 42.7 million euros in 2023."],
            ["Outlook and risks."],
        ]
    )
    assert detect_type("report.pdf", data) == "pdf"
    pages = extract_pages("report.pdf", data, SETTINGS)
    assert [p.page for p in pages] == [1, 2, 3, 4]
    assert all(p.section is None for p in pages)
    holding = [p.page for p in pages if "42.7 million" in p.text]
    assert holding == [3]
    assert all("\r" not in p.text and "\x0c" not in p.text for p in pages)
    assert pages[2].text.splitlines() == [
        "Finance section.",
        "The planted fact: revenue was 42.7 million euros in 2023.",
    ]

    chunks = chunk_pages(pages, file="report.pdf", doc_sha256="ab" * 32, size=200, overlap=20)
    fact = [c for c in chunks if "42.7 million" in c.text]
    assert [c.page for c in fact] == [3]
    assert pages[2].text[fact[0].start : fact[0].end] == fact[0].text


def test_pdf_found_by_content_whatever_its_name() -> None:
    data = make_pdf([["Hello from a PDF"]])
    assert detect_type("notes.txt", data) == "pdf"
    assert extract_pages("download", data, SETTINGS)[0].text == "Hello from a PDF"


def test_pages_without_text_are_left_out() -> None:
    data = make_pdf([["first"], [], ["third"]])
    assert [p.page for p in extract_pages("gaps.pdf", data, SETTINGS)] == [1, 3]


def test_truncated_pdf() -> None:
    data = make_pdf([["Some text on page one"], ["and page two"]])
    assert "corrupt or truncated PDF" in reason("cut.pdf", data[: len(data) // 2])


def test_password_protected_pdf() -> None:
    data = make_pdf([["Top secret plans"]], encrypt="secret")
    assert "password-protected PDF" in reason("locked.pdf", data)


def test_drawing_only_pdf() -> None:
    assert reason("chart.pdf", image_only_pdf(), Settings(ocr=False)) == (
        "PDF without a text layer (drawings only): OCR is off (CASEBOOK_OCR=off or --no-ocr): turn it on to read it"
    )


def test_png_named_pdf_is_read_as_an_image() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
    assert detect_type("scan.pdf", png) == "image"
    assert "image" in reason("scan.pdf", png, Settings(ocr=False))


def test_too_many_pages() -> None:
    data = make_pdf([["one"], ["two"], ["three"]])
    text = reason("long.pdf", data, Settings(max_pages=2))
    assert "3 pages, over the limit of 2" in text


def test_file_over_size_limit() -> None:
    data = make_pdf([["x" * 50]] * 3)
    text = reason("big.pdf", data, Settings(max_file_mb=0.001))
    assert "over the 0.001 MB limit" in text


def test_empty_file() -> None:
    assert "empty file (0 bytes)" in reason("empty.pdf", b"")


def test_damaged_pdfs_only_ever_raise_unreadable() -> None:
    original = make_pdf([["Alpha text"], ["Beta text"]])
    rng = random.Random(5)
    for _ in range(40):
        data = bytearray(original)
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            extract_pages("damaged.pdf", bytes(data), SETTINGS)
        except Unreadable as exc:
            assert exc.reason
