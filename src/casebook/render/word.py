"""The report as a Word document a consultant can edit: built with python-docx from the same
Markdown tokens as the HTML, with Word's own styles rather than formatted text.

Sections are Heading 1 (their ### and #### headings Heading 2 and 3); tables are real tables
with a repeating header row; bullets are List Bullet; numbered lists, the sources among them,
are List Number with their own numbering restarted at the list's first number, so source 1 is
"1." whatever lists came before; charts are inline pictures with a caption.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph

from casebook.render.charts import Chart
from casebook.render.document import Block, ReportDocument, source_where
from casebook.render.html import CHART_FIRST, markdown_parser
from casebook.render.template import ReportTemplate
from casebook.render.word_markdown import TEXT_WIDTH_IN, MarkdownWriter, set_number

FONT = "Arial"  # on every machine that runs Word; LibreOffice maps it to Liberation Sans


def render_docx(
    doc: ReportDocument,
    charts: dict[str, Chart],
    template: ReportTemplate,
    *,
    company: str,
    primary: str,
    logo: tuple[bytes, str] | None = None,
) -> bytes:
    word: Any = Document()
    colour = RGBColor.from_string(primary.lstrip("#").upper())
    _styles(word, colour)
    _header_footer(word, template, company, logo)
    props = word.core_properties
    props.title, props.author, props.language = doc.title, company, doc.language
    props.subject, props.comments = doc.company, "casebook"
    word.add_paragraph(doc.title, style="Title")
    writer = MarkdownWriter(word, markdown_parser(), colour)
    if doc.subtitle:
        writer.inline(word.add_paragraph(style="Subtitle"), writer.md.parseInline(doc.subtitle)[0])
    _toc(word, template)
    for block in doc.blocks:
        word.add_heading(block.heading, level=1)
        chart = charts.get(block.chart or "")
        if chart is not None and chart.key in CHART_FIRST:
            _picture(word, chart)
        if block.sources:
            _sources(word, writer, block, template)
        else:
            writer.write(block.body)
        if chart is not None and chart.key not in CHART_FIRST:
            _picture(word, chart)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _styles(word: Any, colour: RGBColor) -> None:
    word.styles["Normal"].font.size = Pt(10)
    for name in (
        "Normal",
        "Title",
        "Subtitle",
        "Heading 1",
        "Heading 2",
        "Heading 3",
        "Heading 4",
        "TOC Heading",
        "Caption",
    ):
        style = word.styles[name]
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)  # a theme font would win over the named one
        style.font.name = FONT
        if name != "Normal" and name != "Caption":
            style.font.color.rgb = colour
    section = word.sections[0]
    section.page_height, section.page_width = Inches(11.69), Inches(8.27)  # A4
    section.left_margin = section.right_margin = Inches((8.27 - TEXT_WIDTH_IN) / 2)


def _header_footer(
    word: Any, template: ReportTemplate, company: str, logo: tuple[bytes, str] | None
) -> None:
    section = word.sections[0]
    header = section.header.paragraphs[0]
    if logo is not None and logo[1] in ("image/png", "image/jpeg", "image/gif"):
        header.add_run().add_picture(io.BytesIO(logo[0]), height=Inches(0.35))
        header.add_run("  ")
    header.add_run(company).font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for part in (
        f"{template.label('page')} ",
        "PAGE",
        f" {template.label('page_of')} ",
        "NUMPAGES",
    ):
        if part in ("PAGE", "NUMPAGES"):
            _field(footer, part, "1")
        else:
            footer.add_run(part)
    for run in footer.runs:
        run.font.size = Pt(8)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A Word field (page number, table of contents) that Word fills in when it lays out."""
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("text", placeholder),
        ("end", None),
    ):
        run = paragraph.add_run()
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
            run._r.append(element)
        elif kind == "text":
            run.text = text or ""
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)


def _toc(word: Any, template: ReportTemplate) -> None:
    word.add_paragraph(template.label("contents"), style="TOC Heading")
    _field(word.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u', template.label("toc_hint"))
    update = OxmlElement("w:updateFields")  # Word offers to fill the contents in on opening
    update.set(qn("w:val"), "true")
    word.settings.element.append(update)


def _picture(word: Any, chart: Chart) -> None:
    assert chart.png is not None, "Word needs the PNG of each chart"
    word.add_picture(io.BytesIO(chart.png), width=Inches(min(chart.width_in, 6.4)))
    word.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = word.add_paragraph(chart.caption, style="Caption")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _sources(word: Any, writer: MarkdownWriter, block: Block, template: ReportTemplate) -> None:
    numbers = [s.number for s in block.sources]
    num_id = (
        writer.new_numbering("List Number", 1)
        if numbers == list(range(1, len(numbers) + 1))
        else None
    )
    for source in block.sources:
        paragraph = word.add_paragraph(style="List Number")
        if num_id is not None:
            set_number(paragraph, num_id)
        else:
            paragraph.add_run(f"{source.number}. ")
        paragraph.add_run(source_where(source, template)).bold = True
        paragraph.add_run(f" — “{source.excerpt}”")
