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
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token

from casebook.render.charts import Chart
from casebook.render.document import Block, ReportDocument, source_where
from casebook.render.html import CHART_FIRST, markdown_parser
from casebook.render.template import ReportTemplate

_PICTURE_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


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
    writer = _Writer(word, markdown_parser(), colour)
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
    word.styles["Normal"].font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        word.styles[name].font.color.rgb = colour
    section = word.sections[0]
    section.page_height, section.page_width = Inches(11.69), Inches(8.27)  # A4
    section.left_margin = section.right_margin = Inches(0.8)


def _header_footer(word: Any, template: ReportTemplate, company: str, logo: tuple[bytes, str] | None) -> None:
    section = word.sections[0]
    header = section.header.paragraphs[0]
    if logo is not None and logo[1] in ("image/png", "image/jpeg", "image/gif"):
        header.add_run().add_picture(io.BytesIO(logo[0]), height=Inches(0.35))
        header.add_run("  ")
    header.add_run(company).font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for part in (f"{template.label('page')} ", "PAGE", f" {template.label('page_of')} ", "NUMPAGES"):
        if part in ("PAGE", "NUMPAGES"):
            _field(footer, part, "1")
        else:
            footer.add_run(part)
    for run in footer.runs:
        run.font.size = Pt(8)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A Word field (page number, table of contents) that Word fills in when it lays out."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None),
                       ("text", placeholder), ("end", None)):
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


def _sources(word: Any, writer: _Writer, block: Block, template: ReportTemplate) -> None:
    numbers = [s.number for s in block.sources]
    num_id = writer.new_numbering("List Number", 1) if numbers == list(range(1, len(numbers) + 1)) else None
    for source in block.sources:
        paragraph = word.add_paragraph(style="List Number")
        if num_id is not None:
            _number(paragraph, num_id)
        else:
            paragraph.add_run(f"{source.number}. ")
        paragraph.add_run(source_where(source, template)).bold = True
        paragraph.add_run(f" — “{source.excerpt}”")


def _number(paragraph: Paragraph, num_id: int, level: int = 0) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = level
    num_pr.get_or_add_numId().val = num_id


class _Writer:
    """Markdown block tokens to Word paragraphs, tables and lists."""

    def __init__(self, word: Any, md: MarkdownIt, colour: RGBColor) -> None:
        self.word, self.md, self.colour = word, md, colour
        self.lists: list[dict[str, Any]] = []  # open lists, innermost last
        self.quote = 0

    def new_numbering(self, style: str, start: int) -> int:
        numbering = self.word.part.numbering_part.numbering_definitions._numbering
        style_num = self.word.styles[style].element.pPr.numPr.numId.val
        abstract = numbering.num_having_numId(style_num).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return int(num.numId)

    def write(self, markdown: str) -> None:
        tokens = self.md.parse(markdown)
        i = 0
        while i < len(tokens):
            i = self._block(tokens, i)

    def _block(self, tokens: list[Token], i: int) -> int:
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            level = min(4, max(1, int(token.tag[1]) - 1))
            self.inline(self.word.add_heading("", level=level), tokens[i + 1])
            return i + 3
        if kind == "paragraph_open":
            self.inline(self._paragraph(), tokens[i + 1])
            return i + 3
        if kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            depth = min(3, len(self.lists) + 1)
            style = ("List Number" if ordered else "List Bullet") + (f" {depth}" if depth > 1 else "")
            start = int(token.attrGet("start") or 1)
            num_id = self.new_numbering(style, start) if ordered else None
            self.lists.append({"style": style, "num": num_id, "first": False})
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.lists[-1]["first"] = True
        elif kind == "blockquote_open":
            self.quote += 1
        elif kind == "blockquote_close":
            self.quote -= 1
        elif kind == "table_open":
            return self._table(tokens, i)
        elif kind in ("fence", "code_block"):
            self._code(token.content)
        return i + 1

    def _paragraph(self) -> Paragraph:
        if self.lists:
            current = self.lists[-1]
            if current["first"]:
                current["first"] = False
                paragraph = self.word.add_paragraph(style=current["style"])
                if current["num"] is not None:
                    _number(paragraph, current["num"])
                return paragraph
            depth = min(3, len(self.lists))
            return self.word.add_paragraph(style="List Continue" + (f" {depth}" if depth > 1 else ""))
        return self.word.add_paragraph(style="Quote" if self.quote else None)

    def _code(self, text: str) -> None:
        paragraph = self.word.add_paragraph(style="No Spacing")
        for n, line in enumerate(text.rstrip("\n").split("\n")):
            run = paragraph.add_run(line)
            run.font.name = "DejaVu Sans Mono"
            run.font.size = Pt(9)
            if n:
                run._r.addprevious(OxmlElement("w:br"))

    def _table(self, tokens: list[Token], i: int) -> int:
        rows: list[list[Token]] = []
        while tokens[i].type != "table_close":
            if tokens[i].type == "tr_open":
                rows.append([])
            elif tokens[i].type == "inline" and rows:
                rows[-1].append(tokens[i])
            i += 1
        width = max((len(r) for r in rows), default=0)
        if not rows or not width:
            return i + 1
        table = self.word.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, cell_token in enumerate(row):
                cell = table.cell(r, c)
                self.inline(cell.paragraphs[0], cell_token, bold=r == 0)
                if r == 0:
                    _shade(cell, self.colour)
        header = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
        repeat.set(qn("w:val"), "true")
        header.append(repeat)
        self.word.add_paragraph()
        return i + 1

    def inline(self, paragraph: Paragraph, token: Token, *, bold: bool = False) -> None:
        state = {"bold": bold, "italic": False, "link": None}
        for child in token.children or []:
            kind = child.type
            if kind in ("strong_open", "strong_close"):
                state["bold"] = kind == "strong_open" or bold
            elif kind in ("em_open", "em_close"):
                state["italic"] = kind == "em_open"
            elif kind == "link_open":
                state["link"] = str(child.attrGet("href") or "")
            elif kind == "link_close":
                state["link"] = None
            elif kind in ("softbreak", "hardbreak"):
                if kind == "hardbreak":
                    paragraph.add_run().add_break()
                else:
                    paragraph.add_run(" ")
            elif kind in ("text", "code_inline", "image"):
                text = child.content if kind != "image" else "".join(c.content for c in child.children or [])
                run = paragraph.add_run(text)
                run.bold = bool(state["bold"]) or None
                run.italic = bool(state["italic"]) or None
                if kind == "code_inline":
                    run.font.name = "DejaVu Sans Mono"
                if state["link"]:
                    self._link(paragraph, run, str(state["link"]))

    def _link(self, paragraph: Paragraph, run: Any, url: str) -> None:
        """Wrap a run in a real hyperlink."""
        run.font.color.rgb = self.colour
        run.underline = True
        if url.startswith("#"):
            return
        r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), r_id)
        run._r.addprevious(link)
        link.append(run._r)


def _shade(cell: Any, colour: RGBColor) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), str(colour))
    cell._tc.get_or_add_tcPr().append(shading)
    for run in cell.paragraphs[0].runs:
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
