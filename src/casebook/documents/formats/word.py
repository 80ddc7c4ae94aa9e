"""Word (.docx and its macro and template variants): the text a reader sees, in reading order.

python-docx opens the package; the body is walked as XML, because python-docx's own text
leaves out what Word shows inside wrappers: content controls (`w:sdt`: cover pages, tables of
contents, table cells), text boxes (`w:txbxContent`, DrawingML or VML), tracked insertions and
moves (`w:ins`, `w:moveTo`). Tracked deletions and moved-away text (`w:del`, `w:moveFrom`),
field codes and placeholder text of empty content controls are left out: the final text.
Headers come first and footnotes, endnotes and footers last, each distinct one once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.oxml import parse_xml
from docx.parts.document import DocumentPart
from lxml import etree

from casebook.config import Settings
from casebook.documents.guards import check_zip
from casebook.documents.pages import PageText, Unreadable, clean_text, one_line

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_NESTED_TABLE_DEPTH = 3

# The main part's content type of each Word variant: python-docx reads all of them, but only
# maps and accepts the first; the others are the same XML.
WORD_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
for _content_type in WORD_MAIN_TYPES:
    PartFactory.part_type_for.setdefault(_content_type, DocumentPart)

_SKIPPED = frozenset(
    f"{W}{tag}" for tag in ("del", "moveFrom", "pPr", "rPr", "sdtPr", "instrText", "delText", "delInstrText")
) | {f"{_MC}Fallback"}
_CHARACTERS = {f"{W}tab": "\t", f"{W}ptab": "\t", f"{W}br": "\n", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}


class _Reader:
    def __init__(self, heading_styles: set[str]) -> None:
        self.heading_styles = heading_styles

    # -- blocks: paragraphs and tables, wherever they are wrapped ------------------------------

    def blocks(self, parent: etree._Element, depth: int = 0) -> Iterator[str | list[str]]:
        """Each paragraph as a str, each table as a list of row lines, in reading order."""
        for child in parent:
            tag = child.tag
            if tag == f"{W}p":
                yield from self.paragraph(child, depth)
            elif tag == f"{W}tbl":
                yield self.table(child, depth)
            elif tag == f"{W}sdt":
                content = _sdt_content(child)
                if content is not None:
                    yield from self.blocks(content, depth)
            elif tag in (f"{W}customXml", f"{W}ins", f"{W}moveTo", f"{W}smartTag"):
                yield from self.blocks(child, depth)

    def paragraph(self, p: etree._Element, depth: int) -> Iterator[str | list[str]]:
        parts: list[str] = []
        boxes: list[etree._Element] = []
        _inline_text(p, parts, boxes)
        text = "".join(parts)
        if self._is_heading(p):
            yield ""
        yield text
        for box in boxes:  # a text box anchored in the paragraph: its own blocks, after it
            yield from self.blocks(box, depth)

    def _is_heading(self, p: etree._Element) -> bool:
        style = p.find(f"{W}pPr/{W}pStyle")
        return style is not None and style.get(f"{W}val") in self.heading_styles

    def table(self, tbl: etree._Element, depth: int) -> list[str]:
        """Rows as ` | `-joined cells; a merged cell appears once; nested tables after `;`."""
        lines = []
        for row in _children(tbl, f"{W}tr"):
            if row.find(f"{W}trPr/{W}del") is not None:  # a tracked row deletion
                continue
            cells = [self.cell(tc, depth) for tc in _children(row, f"{W}tc")]
            if any(cells):
                lines.append(" | ".join(cells))
        return lines

    def cell(self, tc: etree._Element, depth: int) -> str:
        texts: list[str] = []
        nested: list[str] = []
        for block in self.blocks(tc, depth + 1):
            if isinstance(block, list):
                if depth < _NESTED_TABLE_DEPTH:
                    nested.extend(block)
            else:
                texts.append(block)
        return " ; ".join(filter(None, [one_line(" ".join(texts)), *nested]))


def _sdt_content(sdt: etree._Element) -> etree._Element | None:
    """A content control's content; None while it only shows its placeholder prompt."""
    if sdt.find(f"{W}sdtPr/{W}showingPlcHdr") is not None:
        return None
    return sdt.find(f"{W}sdtContent")


def _children(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """`parent`'s children of `tag`, looking through content controls and other wrappers
    (a row or cell can sit in a `w:sdt`, `w:customXml` or a tracked insertion)."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == f"{W}sdt":
            content = _sdt_content(child)
            if content is not None:
                yield from _children(content, tag)
        elif child.tag in (f"{W}customXml", f"{W}ins", f"{W}moveTo"):
            yield from _children(child, tag)


def _inline_text(node: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
    """The paragraph's visible text, in order; text boxes are collected into `boxes`."""
    stack = [iter(node)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag in _CHARACTERS:
            if not (tag == f"{W}br" and child.get(f"{W}type") == "page"):
                parts.append(_CHARACTERS[tag])
        elif tag == f"{W}txbxContent":
            boxes.append(child)
        elif tag == f"{W}sdt":
            content = _sdt_content(child)
            if content is not None:
                stack.append(iter(content))
        elif tag == f"{_MC}AlternateContent":
            choice = child.find(f"{_MC}Choice")  # the DrawingML version; the VML fallback repeats it
            branch = choice if choice is not None else child.find(f"{_MC}Fallback")
            if branch is not None:
                stack.append(iter(branch))
        elif len(child):
            stack.append(iter(child))


def _lines(blocks: Iterator[str | list[str]]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, list):
            lines.extend(["", *block, ""])
        else:
            lines.append(block)
    return lines


def _heading_styles(document: docx.document.Document) -> set[str]:
    styles = set()
    for style in document.styles:
        name = (style.name or "").lower()
        if name.startswith(("heading", "title")) and style.style_id:
            styles.add(style.style_id)
    return styles


_ASIDES = ((RT.FOOTNOTES, "footnote", "Footnotes"), (RT.ENDNOTES, "endnote", "Endnotes"))


def _related_parts(document_part: DocumentPart, reltype: str) -> list[etree._Element]:
    """The XML of each part of this relationship type, by part name, each part once."""
    parts = {rel.target_part.partname: rel.target_part for rel in document_part.rels.values()
             if not rel.is_external and rel.reltype == reltype}
    return [parse_xml(parts[name].blob) for name in sorted(parts)]


def _distinct(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t.strip()))


def extract_docx(data: bytes, settings: Settings) -> list[PageText]:
    """One page: headers, the body (paragraphs and tables in order, a blank line before
    headings and around tables), then footnotes, endnotes and footers."""
    check_zip(data, settings, "Word")
    package = docx.package.Package.open(io.BytesIO(data))
    part = package.main_document_part
    if part.content_type not in WORD_MAIN_TYPES or not isinstance(part, DocumentPart):
        raise Unreadable(f"not a Word document (its main part is {part.content_type}): save it as .docx")
    document = part.document
    reader = _Reader(_heading_styles(document))

    def part_text(root: etree._Element) -> str:
        return "\n".join(_lines(reader.blocks(root))).strip()

    lines = _distinct([part_text(root) for root in _related_parts(part, RT.HEADER)])
    lines += _lines(reader.blocks(document.element.body))
    for reltype, tag, title in _ASIDES:
        notes = []
        for root in _related_parts(part, reltype):
            for note in root.iter(f"{W}{tag}"):
                if note.get(f"{W}type") in (None, "normal"):
                    notes.append(part_text(note))
        notes = [n for n in notes if n]
        if notes:
            lines += ["", f"{title}:", *(f"{n}. {text}" for n, text in enumerate(notes, start=1))]
    footers = _distinct([part_text(root) for root in _related_parts(part, RT.FOOTER)])
    if footers:
        lines += ["", *footers]
    text = clean_text("\n".join(lines))
    return [PageText(page=None, section=None, text=text)] if text else []
