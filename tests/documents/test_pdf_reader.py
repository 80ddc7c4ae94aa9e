"""PDF: what a reader sees — filled-in form fields, annotations, hyphenated words — and the
judgement of a page without text made from its text layer."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from casebook.config import Settings
from casebook.documents import extract_pages
from casebook.documents.formats.hyphens import join_line_breaks
from tests.documents.test_pdf import reason

SETTINGS = Settings()
NO_OCR = Settings(ocr=False)


def pdf_of(draw: object) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    assert callable(draw)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def lines_at(pdf: canvas.Canvas, lines: list[str], y: float = 780) -> None:
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 16


def test_filled_form_fields_are_read() -> None:
    def draw(pdf: canvas.Canvas) -> None:
        pdf.drawString(72, 780, "Supplier questionnaire")
        pdf.drawString(72, 720, "Company:")
        pdf.acroForm.textfield(name="company", value="Zyxwv Freight GmbH", x=150, y=715, width=250, height=20)
        pdf.drawString(72, 680, "Country:")
        pdf.acroForm.choice(name="country", value="Austria", options=["Austria", "Germany"], x=150, y=675,
                            width=200, height=20)

    pages = extract_pages("form.pdf", pdf_of(draw), SETTINGS)
    assert "Zyxwv Freight GmbH" in pages[0].text and "Austria" in pages[0].text
    assert pages[0].text.startswith("Supplier questionnaire")


def test_a_pdf_whose_only_text_is_a_form_field_is_not_called_scanned() -> None:
    def draw(pdf: canvas.Canvas) -> None:
        pdf.acroForm.textfield(name="remark", value="Deliveries resume on Monday", x=72, y=700, width=300, height=20)

    assert extract_pages("remark.pdf", pdf_of(draw), NO_OCR)[0].text == "Deliveries resume on Monday"


def test_annotation_text_follows_the_page_text_once() -> None:
    def draw(pdf: canvas.Canvas) -> None:
        pdf.drawString(72, 780, "Quarterly numbers")
        pdf.freeTextAnnotation("Reviewer: recheck the freight totals", DA="/Helv 12 Tf 0 g", Rect=(72, 600, 400, 640))
        pdf.textAnnotation("Ask finance about accruals", Rect=(72, 500, 100, 520))
        pdf.textAnnotation("Ask finance about accruals", Rect=(72, 400, 100, 420))  # the same note twice
        pdf.linkURL("https://example.com/quarterly", (72, 770, 200, 790))

    assert extract_pages("notes.pdf", pdf_of(draw), SETTINGS)[0].text.splitlines() == [
        "Quarterly numbers",
        "",
        "Comment: Reviewer: recheck the freight totals",
        "",
        "Comment: Ask finance about accruals",
    ]


def test_hyphen_at_a_line_break_keeps_compounds_and_joins_split_words() -> None:
    def draw(pdf: canvas.Canvas) -> None:
        lines_at(pdf, [
            "Same-day delivery is our promise. We offer same-",
            "day delivery, and infor-",
            "mation on each ship-",
            "ment, from our Anglo-",
            "Saxon partners and state-of-the-",
            "art depots.",
        ])

    text = extract_pages("hyphens.pdf", pdf_of(draw), SETTINGS)[0].text
    assert text == (
        "Same-day delivery is our promise. We offer same-day delivery, and information on each shipment, "
        "from our Anglo-Saxon partners and state-of-the-art depots."
    )


def test_hyphen_rule_uses_the_words_of_the_whole_document() -> None:
    marked = ["We report sales per re\ufffegion.", "Each region and each sub\ufffeteam.", "Our sub team is small."]
    assert join_line_breaks(marked) == [
        "We report sales per region.",  # the joined word is used on another page
        "Each region and each sub-team.",  # both parts are words of the document
        "Our sub team is small.",
    ]
    assert join_line_breaks(["COVID\ufffe19 and dele\ufffegate"]) == ["COVID-19 and delegate"]


def test_scan_with_a_text_layer_is_read_from_its_text_layer() -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    def draw(pdf: canvas.Canvas) -> None:
        pdf.drawImage(ImageReader(Image.new("L", (200, 100), 255)), 72, 500, width=400, height=200)
        text = pdf.beginText(80, 600)
        text.setTextRenderMode(3)  # invisible, as OCR software lays it over the scan
        text.textLine("Invisible layer: contract signed 2021")
        pdf.drawText(text)

    pages = extract_pages("searchable-scan.pdf", pdf_of(draw), SETTINGS)
    assert pages[0].text == "Invisible layer: contract signed 2021" and pages[0].ocr is False


def test_pages_without_text_are_judged_by_what_they_hold() -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    def image_page(pdf: canvas.Canvas) -> None:
        pdf.drawImage(ImageReader(Image.new("L", (200, 100), 128)), 72, 500, width=400, height=200)

    def drawing_page(pdf: canvas.Canvas) -> None:
        pdf.rect(72, 400, 300, 200, fill=1)

    off = "OCR is off (CASEBOOK_OCR=off or --no-ocr)"
    assert reason("scan.pdf", pdf_of(image_page), NO_OCR).startswith(f"scanned/image-only PDF (no text layer): {off}")
    drawings = reason("chart.pdf", pdf_of(drawing_page), NO_OCR)
    assert drawings.startswith(f"PDF without a text layer (drawings only): {off}")
    assert reason("blank.pdf", pdf_of(lambda pdf: None), NO_OCR) == "no text: the PDF's pages are blank"

