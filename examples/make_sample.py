"""Generate the Northwind Logistics sample company in examples/northwind-logistics/.

    .venv/bin/python examples/make_sample.py           # write docs/ and FACTS.md, then check them
    .venv/bin/python examples/make_sample.py --check   # only check the files already written

The output is deterministic: fixed dates, a fixed random seed for the ticket sample,
reportlab's invariant mode for the PDFs, and zip entries with a fixed timestamp for
the Office files. Content lives in sample_reports.py (PDFs), sample_notes.py (Word and
PowerPoint), sample_pages.py (Markdown and HTML) and sample_data.py (all numbers).
After writing, every fact listed in FACTS.md is looked up in the text of the generated
files: it must occur on exactly the page it is listed for, and nowhere else.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import sys
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

import sample_data
import sample_notes
import sample_pages
import sample_reports

HERE = Path(__file__).resolve().parent
OUT = HERE / "northwind-logistics"
DOCS = OUT / "docs"
FIXED_TIME = datetime(2026, 1, 20, 9, 0, 0)
NAVY = "#1F3A5F"
_NUMBER = re.compile(r"^[(+-]?(EUR )?[\d.,]+(%| pt|\))?( / [+-]?\d+)?$")  # right-aligned table cells
LIGHT = "#E8EEF5"


# ============================================================== PDF (reportlab platypus)

def _pdf_styles() -> dict:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    navy = colors.HexColor(NAVY)
    return {
        "cover_title": ParagraphStyle("cover_title", parent=base["Title"], fontSize=30, leading=36,
                                      textColor=navy, alignment=0, spaceBefore=60, spaceAfter=10),
        "cover_sub": ParagraphStyle("cover_sub", parent=base["Heading2"], fontSize=18, leading=22,
                                    textColor=colors.HexColor("#4A6A8F"), spaceAfter=18),
        "cover_line": ParagraphStyle("cover_line", parent=base["Normal"], fontSize=11, leading=15),
        "title": ParagraphStyle("page_title", parent=base["Heading1"], fontSize=18, leading=22,
                                textColor=navy, spaceAfter=10),
        "h": ParagraphStyle("h", parent=base["Heading3"], fontSize=12, leading=15, textColor=navy,
                            spaceBefore=8, spaceAfter=4),
        "p": ParagraphStyle("p", parent=base["BodyText"], fontSize=10, leading=13.5, spaceAfter=6),
        "bullet": ParagraphStyle("bullet", parent=base["BodyText"], fontSize=10, leading=13.5,
                                 leftIndent=14, bulletIndent=4, spaceAfter=3),
        "note": ParagraphStyle("note", parent=base["Italic"], fontSize=8.5, leading=11),
        "caption": ParagraphStyle("caption", parent=base["Italic"], fontSize=8.5, leading=11,
                                  textColor=colors.HexColor("#555555"), spaceBefore=4, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", parent=base["BodyText"], fontSize=8.5, leading=10.5, alignment=2),
        "head": ParagraphStyle("head", parent=base["BodyText"], fontSize=8.5, leading=10.5,
                               fontName="Helvetica-Bold", textColor=colors.white),
    }


def _pdf_table(header: list[str], rows: list[list[str]], widths: list[float] | None, styles: dict):
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    has_total = bool(rows) and str(rows[-1][0]).lower().startswith(("total", "year", "network"))

    def cell(value: object, bold: bool) -> Paragraph:
        text = escape(str(value))
        return Paragraph(f"<b>{text}</b>" if bold else text, styles["num" if _NUMBER.match(str(value)) else "cell"])

    data = [[Paragraph(escape(str(c)), styles["head"]) for c in header]]
    data += [[cell(c, has_total and i == len(rows) - 1) for c in row] for i, row in enumerate(rows)]
    table = Table(data, colWidths=[w * mm for w in widths] if widths else None, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(NAVY)),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA8B8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), colors.HexColor(LIGHT)) for i in range(2, len(data), 2)]
    table.setStyle(TableStyle(style))
    return table


def _pdf_flowables(block: tuple, styles: dict) -> list:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    kind = block[0]
    if kind == "cover":
        _, title, subtitle, lines = block
        out = [Paragraph(escape(subtitle), styles["cover_sub"]), Paragraph(escape(title), styles["cover_title"])]
        out += [Paragraph(escape(line) or "&nbsp;", styles["cover_line"]) for line in lines]
        return [*out, Spacer(1, 14 * mm)]
    if kind in ("title", "h", "p", "note"):
        return [Paragraph(escape(block[1]), styles[kind])]
    if kind == "lead":
        return [Paragraph(f"<b>{escape(block[1])}</b> {escape(block[2])}", styles["p"])]
    if kind == "bullets":
        return [Paragraph(escape(item), styles["bullet"], bulletText="\u2022") for item in block[1]]
    if kind == "table":
        _, header, rows, widths, caption = block
        out = [Paragraph(escape(caption), styles["caption"])] if caption else []
        return [*out, _pdf_table(header, rows, widths, styles), Spacer(1, 3 * mm)]
    raise ValueError(f"unknown block {kind!r}")


def build_pdf(report: dict) -> int:
    """Render one report, one content page per PDF page; returns the page count."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    styles = _pdf_styles()
    pages = report["pages"]()
    story: list = []
    for i, page in enumerate(pages):
        for block in page:
            story += _pdf_flowables(block, styles)
        if i < len(pages) - 1:
            story.append(PageBreak())

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor(NAVY))
        canvas.setLineWidth(0.6)
        canvas.line(20 * mm, 15 * mm, A4[0] - 20 * mm, 15 * mm)
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(20 * mm, 10 * mm, report["footer"])
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Page {doc.page} of {len(pages)}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=22 * mm, title=report["title"], author=report["author"],
        subject="Northwind Logistics sample company (fictional)", creator="examples/make_sample.py",
        invariant=1,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    count = _pdf_page_count(buffer.getvalue())
    if count != len(pages):
        raise SystemExit(f"{report['filename']}: {count} pages rendered for {len(pages)} pages of content; shorten a page")
    publish(report["filename"], buffer.getvalue())
    return count


def _pdf_page_count(data: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()


# ============================================================== Word (python-docx)

def build_docx(spec: dict) -> None:
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    for kind, *args in spec["blocks"]:
        if kind == "title":
            doc.add_heading(args[0], level=0)
        elif kind == "meta":
            run = doc.add_paragraph().add_run(args[0])
            run.italic = True
            run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
        elif kind == "h":
            doc.add_heading(args[0], level=1)
        elif kind == "q":
            doc.add_paragraph().add_run(args[0]).bold = True
        elif kind in ("a", "p"):
            doc.add_paragraph(args[0])
        elif kind == "bullets":
            for item in args[0]:
                doc.add_paragraph(item, style="List Bullet")
        elif kind == "table":
            header, rows = args
            table = doc.add_table(rows=1, cols=len(header), style="Light Grid Accent 1")
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.text = text
            for row in rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
            doc.add_paragraph()
        else:
            raise ValueError(f"unknown block {kind!r}")
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = spec["title"], spec["author"], spec["author"]
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    publish(spec["filename"], normalize_zip(buffer.getvalue()))


# ============================================================== PowerPoint (python-pptx)

def build_pptx(deck: dict) -> int:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    navy = RGBColor(0x1F, 0x3A, 0x5F)
    for number, spec in enumerate(deck["slides"], start=1):
        if number == 1:
            slide = prs.slides.add_slide(prs.slide_layouts[0])
            slide.shapes.title.text = spec["title"]
            slide.placeholders[1].text = spec["subtitle"]
            for shape in slide.placeholders:
                shape.left, shape.width = Inches(0.8), Inches(11.7)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
            title = slide.shapes.title
            title.text = spec["title"]
            title.left, title.top, title.width, title.height = Inches(0.6), Inches(0.3), Inches(12.1), Inches(1.0)
            title.text_frame.paragraphs[0].runs[0].font.size = Pt(30)
            title.text_frame.paragraphs[0].runs[0].font.color.rgb = navy
            top = Inches(1.5)
            if "table" in spec:
                header, rows = spec["table"]
                height = Inches(0.45) * (len(rows) + 1)
                shape = slide.shapes.add_table(len(rows) + 1, len(header), Inches(0.6), top, Inches(12.1), height)
                for r, values in enumerate([header, *rows]):
                    for c, value in enumerate(values):
                        cell = shape.table.cell(r, c)
                        cell.text = value
                        cell.text_frame.paragraphs[0].runs[0].font.size = Pt(15 if len(header) < 4 else 14)
                top = Emu(top + height + Inches(0.3))
            if spec.get("bullets"):
                box = slide.shapes.add_textbox(Inches(0.8), top, Inches(11.7), Inches(7.0) - top)
                frame = box.text_frame
                frame.word_wrap = True
                for i, text in enumerate(spec["bullets"]):
                    para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
                    para.text = f"\u2022 {text}"
                    para.space_after = Pt(10)
                    para.runs[0].font.size = Pt(20)
            footer = slide.shapes.add_textbox(Inches(0.6), Inches(7.0), Inches(12.1), Inches(0.35))
            footer.text_frame.text = f"Northwind Logistics - Supervisory Board, 16 December 2025 - confidential - {number}"
            footer.text_frame.paragraphs[0].runs[0].font.size = Pt(10)
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = spec["notes"]
    props = prs.core_properties
    props.title, props.author, props.last_modified_by = deck["title"], deck["author"], deck["author"]
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    buffer = io.BytesIO()
    prs.save(buffer)
    publish(deck["filename"], normalize_zip(buffer.getvalue()))
    return len(deck["slides"])


# ============================================================== Excel, CSV, JSON, text

def build_xlsx() -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sample_data.workbook_sheets():
        ws = wb.create_sheet(sheet["name"])
        ws["A1"] = sheet["title"]
        ws["A1"].font = Font(bold=True, size=13, color="1F3A5F")
        ws["A2"] = sheet["note"]
        ws["A2"].font = Font(italic=True, color="555555")
        ws.append([])
        ws.append(sheet["header"])
        for cell in ws[4]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F3A5F")
        for row in sheet["rows"]:
            ws.append(row)
            if str(row[0]).startswith("Total"):
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
        for i, width in enumerate(sheet["widths"], start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A5"
    wb.properties.creator = wb.properties.lastModifiedBy = "Joris Visser"
    wb.properties.title = "Northwind Logistics - operations data 2025"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    publish(sample_data.WORKBOOK_FILENAME, normalize_zip(buffer.getvalue()))


def build_csv() -> None:
    rows = sample_data.support_tickets()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    publish(sample_data.TICKETS_FILENAME, text.getvalue().encode("utf-8"))


def build_json() -> None:
    text = json.dumps(sample_data.telematics(), indent=2, ensure_ascii=False) + "\n"
    publish(sample_data.TELEMATICS_FILENAME, text.encode("utf-8"))


def build_text_files() -> None:
    publish(sample_pages.IT_LANDSCAPE_FILENAME, sample_pages.IT_LANDSCAPE_MD.encode("utf-8"))
    publish(sample_pages.POLICY_FILENAME, sample_pages.POLICY_HTML.encode("utf-8"))


def publish(name: str, data: bytes, folder: Path = DOCS) -> None:
    """Write a file atomically, so that a reader never sees a half-written sample file."""
    target = folder / name
    temp = folder / f".{name}.tmp"
    temp.write_bytes(data)
    os.replace(temp, target)


def normalize_zip(data: bytes) -> bytes:
    """Rewrite an Office file with fixed zip timestamps and fixed document dates (byte-reproducible)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{stamp}\g<3>", text)
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    return buffer.getvalue()


# ============================================================== text extraction and checks

class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def extract_units(path: Path) -> list[tuple[int | None, str]]:
    """(page, text) units of a file: one per PDF page or slide, else one for the whole file."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            return [(i + 1, pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
        finally:
            pdf.close()
    if suffix == ".pptx":
        from pptx import Presentation

        units = []
        for i, slide in enumerate(Presentation(str(path)).slides, start=1):
            parts = []
            for shape in slide.shapes:
                if shape.has_text_frame:
                    parts.append(shape.text_frame.text)
                if shape.has_table:
                    parts += [cell.text for row in shape.table.rows for cell in row.cells]
            if slide.has_notes_slide:
                parts.append(slide.notes_slide.notes_text_frame.text)
            units.append((i, "\n".join(parts)))
        return units
    if suffix == ".docx":
        from docx import Document

        doc = Document(str(path))
        parts = [p.text for p in doc.paragraphs]
        parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
        return [(None, "\n".join(parts))]
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(str(path), read_only=True, data_only=True)
        parts = [f"{ws.title}\n" + "\n".join(" ".join("" if v is None else str(v) for v in row)
                                             for row in ws.iter_rows(values_only=True)) for ws in wb.worksheets]
        wb.close()
        return [(None, "\n".join(parts))]
    text = path.read_text(encoding="utf-8")
    if suffix in (".html", ".htm"):
        parser = _HTMLText()
        parser.feed(text)
        text = html.unescape(" ".join(parser.parts))
    return [(None, text)]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def all_facts() -> list[tuple[str, str, int | None, str]]:
    return sample_reports.FACTS + sample_notes.FACTS + sample_pages.FACTS + sample_data.data_facts()


def check() -> int:
    """Open every file, count pages and slides, and check each fact's location and uniqueness."""
    units: dict[tuple[str, int | None], str] = {}
    pages = 0
    for path in sorted(p for p in DOCS.iterdir() if not p.name.startswith(".")):
        file_units = extract_units(path)
        if path.suffix in (".pdf", ".pptx"):
            pages += len(file_units)
        for page, text in file_units:
            units[(path.name, page)] = _norm(text)
        kind = f"{len(file_units)} pages" if path.suffix in (".pdf", ".pptx") else f"{sum(len(t.split()) for _, t in file_units)} words"
        print(f"  {path.name:58s} {path.stat().st_size:>9,d} bytes  {kind}")
    problems = []
    for needle, file, page, _where in all_facts():
        hits = [key for key, text in units.items() if _norm(needle) in text]
        if hits != [(file, page)]:
            problems.append(f"{needle!r}: expected {(file, page)}, found {hits}")
    for problem in problems:
        print("FACT PROBLEM:", problem)
    print(f"{len(all_facts())} facts checked, {len(problems)} problems; PDF pages + slides: {pages}")
    return 1 if problems else 0


# ============================================================== FACTS.md

def write_facts_md() -> None:
    lines = [
        "# Northwind Logistics - checkable facts",
        "",
        "Each fact below is verbatim text (whitespace and case aside) that occurs in exactly one place in `docs/`:",
        "in the listed file and, for PDFs and the PowerPoint deck, on the listed page or slide (1-based).",
        "`-` means the format has no pages. `make_sample.py` checks every row against the generated files.",
        "",
        "| fact | file | page | where |",
        "|---|---|---|---|",
    ]
    for needle, file, page, where in all_facts():
        lines.append(f"| {needle} | {file} | {'-' if page is None else page} | {where} |")
    publish("FACTS.md", ("\n".join(lines) + "\n").encode("utf-8"), folder=OUT)


def main(argv: list[str]) -> int:
    if "--check" not in argv:
        DOCS.mkdir(parents=True, exist_ok=True)
        for report in sample_reports.REPORTS:
            build_pdf(report)
        for spec in sample_notes.DOCUMENTS:
            build_docx(spec)
        build_pptx(sample_notes.BOARD_DECK)
        build_xlsx()
        build_csv()
        build_json()
        build_text_files()
        write_facts_md()
        print(f"wrote {len(list(DOCS.iterdir()))} files to {DOCS.relative_to(HERE.parent)}")
    return check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
