"""PowerPoint (.pptx and its macro, template and show variants) with python-pptx: one page per slide."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

import pptx
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.opc.package import PartFactory
from pptx.parts.presentation import PresentationPart
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape

from casebook.config import Settings
from casebook.documents.guards import check_count, check_zip
from casebook.documents.pages import PageText, Unreadable, clean_text, one_line

# The main part's content type of each PowerPoint variant (.pptx .pptm .potx .potm .ppsx .ppsm):
# the same XML; python-pptx's Presentation() accepts only the first two.
SLIDES_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
)
for _content_type in SLIDES_MAIN_TYPES:
    PartFactory.part_type_for.setdefault(_content_type, PresentationPart)
_NOT_NOTES = frozenset(
    {PP_PLACEHOLDER.SLIDE_IMAGE, PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.HEADER, PP_PLACEHOLDER.FOOTER,
     PP_PLACEHOLDER.DATE}
)


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
    notes = _notes(slide)
    if notes:
        lines.extend(["", f"Notes: {notes}"])
    return title or None, clean_text("\n".join(lines))


def _notes(slide: Any) -> str:
    """The speaker notes: the notes body, else every text on the notes page but the slide's
    picture, number, header, footer and date."""
    if not slide.has_notes_slide:
        return ""
    notes_slide = slide.notes_slide
    frame = notes_slide.notes_text_frame
    if frame is not None:
        return str(frame.text).strip()
    texts = []
    for shape in _shapes(notes_slide.shapes):
        if shape.is_placeholder and shape.placeholder_format.type in _NOT_NOTES:
            continue
        texts.extend(_shape_lines(shape))
    return "\n".join(texts).strip()


def extract_pptx(data: bytes, settings: Settings) -> list[PageText]:
    """One page per slide (page = slide number, section = its title), notes included."""
    check_zip(data, settings, "PowerPoint")
    part = pptx.package.Package.open(io.BytesIO(data)).main_document_part
    if part.content_type not in SLIDES_MAIN_TYPES or not isinstance(part, PresentationPart):
        raise Unreadable(f"not a PowerPoint file (its main part is {part.content_type}): save it as .pptx")
    presentation = part.presentation
    slides = list(presentation.slides)
    check_count(len(slides), "slides", settings)
    pages = []
    for number, slide in enumerate(slides, start=1):
        title, text = _slide_text(slide)
        if text:
            pages.append(PageText(page=number, section=title, text=text))
    return pages
