"""HTML to text with selectolax (lexbor): no scripts, styles or menus; blocks on their own lines."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from casebook.documents.pages import PageText, clean_text, one_line

_DROP = ["script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "head"]
_PARAGRAPHS = frozenset(
    {"article", "aside", "blockquote", "dl", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
     "h6", "header", "hr", "main", "ol", "p", "pre", "section", "table", "ul"}
)
_LINES = frozenset(
    {"address", "body", "caption", "dd", "details", "dialog", "div", "dt", "fieldset",
     "figcaption", "form", "html", "legend", "li", "summary", "tbody", "tfoot", "thead", "tr"}
)
_CELLS = frozenset({"td", "th"})
_PARA = "\ue000"  # private-use marks: a paragraph break, a table cell's end
_CELL = "\ue001"
_WHITESPACE = re.compile(r"[\s\ue000\ue001]+")
_MARKS = re.compile(r"[\ue000\ue001]")


def html_to_text(markup: str) -> str:
    tree = LexborHTMLParser(markup)
    title_node = tree.css_first("title")
    title = one_line(title_node.text()) if title_node is not None else ""
    tree.strip_tags(_DROP)
    parts: list[str] = [title, f"\n{_PARA}\n"] if title else []
    root = tree.body or tree.root
    if root is not None:
        _walk(root, parts)
    lines: list[str] = []
    for line in "".join(parts).split("\n"):
        if line.strip() == _PARA:
            lines.append("")
            continue
        cells = [c.strip() for c in line.split(_CELL)]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def _break(tag: str) -> str:
    if tag in _PARAGRAPHS:
        return f"\n{_PARA}\n"
    return "\n" if tag in _LINES or tag == "br" else ""


def _walk(root: LexborNode, parts: list[str]) -> None:
    """Depth-first without recursion: deeply nested pages must not exhaust the stack."""
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    in_pre = 0  # inside <pre>, line breaks are kept
    while stack:
        node, leaving = stack.pop()
        tag = node.tag or ""
        if leaving:
            parts.append(_CELL if tag in _CELLS else _break(tag))
            in_pre -= tag == "pre"
            continue
        if tag == "-text":
            text = node.text_content or ""
            if in_pre:
                parts.append(_MARKS.sub(" ", text.replace("\r", "")))
            else:
                parts.append(_WHITESPACE.sub(" ", text))
            continue
        if tag.startswith("-"):  # comments, doctype
            continue
        parts.append(_break(tag))
        if tag == "li":
            parts.append("- ")
        in_pre += tag == "pre"
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))


def extract_html(text: str) -> list[PageText]:
    cleaned = clean_text(html_to_text(text))
    return [PageText(page=None, section=None, text=cleaned)] if cleaned else []
