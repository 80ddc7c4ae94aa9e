"""Word (.docx) and PowerPoint (.pptx) text with python-docx and python-pptx."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import docx
import pptx
from docx.table import Table
from docx.text.paragraph import Paragraph
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape

from casebook.config import Settings
from casebook.documents.guards import check_count, check_zip
from casebook.documents.pages import PageText, clean_text, one_line

_NESTED_TABLE_DEPTH = 3


# -- Word ----------------------------------------------------------------------------------


def _word_table(table: Table, depth: int = 0) -> list[str]:
    """Rows as ` | `-joined cells; a cell merged across columns appears once."""
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = one_line(cell.text)
            if depth < _NESTED_TABLE_DEPTH:
                nested = [line for t in cell.tables for line in _word_table(t, depth + 1)]
                text = " ; ".join(filter(None, [text, *nested]))
            cells.append(text)
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


def _is_heading(paragraph: Paragraph, known: dict[str | None, bool]) -> bool:
    """Whether the paragraph's style is a heading; `known` caches the answer per style id,
    because python-docx looks a style up by scanning all of them on every access."""
    try:
        style_id = paragraph._p.style
    except (KeyError, ValueError, AttributeError):
        return False
    if style_id not in known:
        try:
            name = paragraph.style.name if paragraph.style is not None else ""
        except (KeyError, ValueError, AttributeError):
            name = ""
        known[style_id] = bool(name) and name.lower().startswith(("heading", "title"))
    return known[style_id]


def extract_docx(data: bytes, settings: Settings) -> list[PageText]:
    """Paragraphs and tables in document order; a blank line before headings and around tables.

    Headers, footers, footnotes and text boxes are not read.
    """
    check_zip(data, settings, "Word")
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    headings: dict[str | None, bool] = {}
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if _is_heading(block, headings):
                lines.append("")
            lines.append(block.text)
        else:
            lines.extend(["", *_word_table(block), ""])
    text = clean_text("\n".join(lines))
    return [PageText(page=None, section=None, text=text)] if text else []


# -- PowerPoint ----------------------------------------------------------------------------


def _shapes(shapes: Iterable[BaseShape]) -> Iterator[BaseShape]:
    """Every shape, those inside groups too, in the slide's order."""
    stack: list[BaseShape] = list(reversed(list(shapes)))
    while stack:
        shape = stack.pop()
        if isinstance(shape, GroupShape):
            stack.extend(reversed(list(shape.shapes)))
        else:
            yield shape


def _shape_lines(shape: Any) -> list[str]:
    lines = []
    if shape.has_text_frame:
        lines.append(shape.text_frame.text)
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:
            cells = [one_line(cell.text) for cell in row.cells]
            if any(cells):
                lines.append(" | ".join(cells))
    return lines


def _slide_text(slide: Any) -> tuple[str | None, str]:
    title_shape = slide.shapes.title
    title = one_line(title_shape.text_frame.text) if title_shape is not None else ""
    lines = [title] if title else []
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        lines.extend(_shape_lines(shape))
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = frame.text.strip() if frame is not None else ""
        if notes:
            lines.extend(["", f"Notes: {notes}"])
    return title or None, clean_text("\n".join(lines))


def extract_pptx(data: bytes, settings: Settings) -> list[PageText]:
    """One page per slide (page = slide number, section = its title), notes included."""
    check_zip(data, settings, "PowerPoint")
    presentation = pptx.Presentation(io.BytesIO(data))
    slides = list(presentation.slides)
    check_count(len(slides), "slides", settings)
    pages = []
    for number, slide in enumerate(slides, start=1):
        title, text = _slide_text(slide)
        if text:
            pages.append(PageText(page=number, section=title, text=text))
    return pages
