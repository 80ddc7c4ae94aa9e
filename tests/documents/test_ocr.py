"""OCR with the installed Tesseract: images and scanned PDF pages become text marked `ocr`,
bounded, and skipped with a reason that says how to install the engine when it is missing."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from casebook.config import Settings
from casebook.documents import detect_type, extract_pages
from casebook.documents.extract import read_document
from tests.documents.test_pdf import reason

SETTINGS = Settings()
INVOICE = ["Northwind Freight invoice 4471", "Pallets shipped to Leeds depot"]
MEMO = ["Memo about the Harrogate warehouse", "Forklift training on Thursday"]


def scan(lines: list[str], mode: str = "L") -> Image.Image:
    """A page photographed or scanned: dark text on a light background, as pixels only."""
    font = ImageFont.load_default(size=44)
    image = Image.new(mode, (1400, 120 + 80 * len(lines)), "white")
    pen = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        pen.text((60, 60 + 80 * number), line, fill="black", font=font)
    return image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def words_of(lines: list[str]) -> set[str]:
    return {word.casefold() for line in lines for word in line.split()}


def assert_reads(text: str, lines: list[str]) -> None:
    found = {word.casefold().strip(".,:;") for word in text.split()}
    assert words_of(lines) <= found, text


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "scan.png"), ("JPEG", "photo.jpg")])
def test_an_image_is_a_document_read_by_ocr(fmt: str, name: str) -> None:
    data = encoded(scan(INVOICE, "RGB"), fmt)
    assert detect_type(name, data) == "image"
    pages = extract_pages(name, data, SETTINGS)
    assert len(pages) == 1 and pages[0].page is None and pages[0].ocr is True
    assert_reads(pages[0].text, INVOICE)


def test_text_on_a_transparent_background_is_read() -> None:
    """Black text on a transparent PNG (a logo, a cut-out): shown on white, so read on white."""
    ink = scan(INVOICE).point(lambda v: 255 - v)  # text strokes bright, background dark
    image = Image.new("RGBA", ink.size, (0, 0, 0, 0))  # transparent black
    image.putalpha(ink)  # opaque black only where the text is
    pages = extract_pages("logo.png", encoded(image, "PNG"), SETTINGS)
    assert_reads(pages[0].text, INVOICE)


def test_a_multipage_tiff_gives_a_page_per_frame_within_the_page_limit() -> None:
    data = encoded(scan(INVOICE), "TIFF", save_all=True, append_images=[scan(MEMO)])
    pages = extract_pages("faxes.tiff", data, SETTINGS)
    assert [(p.page, p.ocr) for p in pages] == [(1, True), (2, True)]
    assert_reads(pages[0].text, INVOICE)
    assert_reads(pages[1].text, MEMO)
    first_only = extract_pages("faxes.tiff", data, Settings(ocr_max_pages=1))
    assert [p.page for p in first_only] == [1]


def scanned_pdf() -> bytes:
    """Page 1 has a text layer; page 2 is a scanned page, an image and nothing else."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 780, "Cover letter with a text layer")
    pdf.showPage()
    image = scan(MEMO)
    width = 500.0
    pdf.drawImage(ImageReader(image), 50, 500, width=width, height=width * image.height / image.width)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_scanned_pdf_pages_are_ocrd_and_marked() -> None:
    pages = extract_pages("letters.pdf", scanned_pdf(), SETTINGS)
    assert [(p.page, p.ocr) for p in pages] == [(1, False), (2, True)]
    assert pages[0].text == "Cover letter with a text layer"
    assert_reads(pages[1].text, MEMO)


def test_without_ocr_images_and_scanned_pages_are_skipped_with_the_reason() -> None:
    off = Settings(ocr=False)
    image = encoded(scan(INVOICE), "PNG")
    assert reason("scan.png", image, off) == (
        "an image, read only by OCR: OCR is off (CASEBOOK_OCR=off or --no-ocr): turn it on to read it"
    )
    kind, pages, note = read_document("letters.pdf", scanned_pdf(), off)
    assert kind == "pdf" and [p.page for p in pages] == [1]
    off_reason = "OCR is off (CASEBOOK_OCR=off or --no-ocr): turn it on to read it"
    assert note == f"page 2 not read: no text layer (a scan?), {off_reason}"
    assert read_document("letters.pdf", scanned_pdf(), SETTINGS)[2] is None


def test_a_missing_engine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    text = reason("scan.png", encoded(scan(INVOICE), "PNG"))
    assert "OCR engine not installed" in text
    assert "apt-get install tesseract-ocr tesseract-ocr-eng" in text and "casebook[ocr]" in text
    text = reason("letters.pdf", image_only_letter())
    assert text.startswith("scanned/image-only PDF (no text layer): OCR engine not installed")


def image_only_letter() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawImage(ImageReader(scan(MEMO)), 50, 500, width=500, height=100)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_missing_language_names_its_package() -> None:
    text = reason("scan.png", encoded(scan(INVOICE), "PNG"), Settings(ocr_languages="eng+zzz"))
    assert text.endswith("OCR language data missing for zzz: `apt-get install tesseract-ocr-zzz`")


def test_ocr_is_bounded_in_time() -> None:
    text = reason("scan.png", encoded(scan(INVOICE), "PNG"), Settings(ocr_timeout_s=0.001))
    assert text == "image: OCR ran out of time (CASEBOOK_OCR_TIMEOUT_S=0.001)"


def test_an_image_found_no_text_in() -> None:
    blank = encoded(Image.new("L", (400, 300), "white"), "PNG")
    assert reason("blank.png", blank) == "image: OCR found no text in it"
