"""Markdown blocks to Word: paragraphs, real tables, bullet and numbered lists, runs.

Numbered lists get their own numbering instance restarted at the list's first number, so each
list counts from its own start in Word whatever lists came before.
"""

from __future__ import annotations

from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from markdown_it.token import Token

TEXT_WIDTH_IN = 8.27 - 2 * 0.8  # A4 less the margins


def set_number(paragraph: Paragraph, num_id: int, level: int = 0) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = level
    num_pr.get_or_add_numId().val = num_id


class MarkdownWriter:
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
            style = ("List Number" if ordered else "List Bullet") + (
                f" {depth}" if depth > 1 else ""
            )
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
                    set_number(paragraph, current["num"])
                return paragraph
            depth = min(3, len(self.lists))
            return self.word.add_paragraph(
                style="List Continue" + (f" {depth}" if depth > 1 else "")
            )
        return self.word.add_paragraph(style="Quote" if self.quote else None)

    def _code(self, text: str) -> None:
        paragraph = self.word.add_paragraph(style="No Spacing")
        run = paragraph.add_run(text.rstrip("\n"))  # python-docx turns each newline into a break
        run.font.name = "DejaVu Sans Mono"
        run.font.size = Pt(9)

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
        table.autofit = False
        widths = _column_widths(rows, width, TEXT_WIDTH_IN)
        for column, inches in zip(table.columns, widths, strict=True):
            column.width = Inches(inches)  # the grid, which LibreOffice reads; Word reads the cells
        for r, row in enumerate(rows):
            for c, cell_token in enumerate(row):
                cell = table.cell(r, c)
                cell.width = Inches(widths[c])
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
        state: dict[str, Any] = {"bold": bold, "italic": False, "link": None}
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
                text = (
                    child.content
                    if kind != "image"
                    else "".join(c.content for c in child.children or [])
                )
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


def _column_widths(rows: list[list[Token]], width: int, total: float) -> list[float]:
    """Widths in inches shared out by how long each column's text is, so titles get room."""
    longest = [4] * width
    for row in rows:
        for c, token in enumerate(row):
            longest[c] = max(longest[c], min(len(token.content), 45) + 3)
    return [total * n / sum(longest) for n in longest]


def _shade(cell: Any, colour: RGBColor) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), str(colour))
    cell._tc.get_or_add_tcPr().append(shading)
    for run in cell.paragraphs[0].runs:
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
