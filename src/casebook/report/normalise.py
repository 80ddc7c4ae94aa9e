"""Model Markdown made to fit the report template, whatever model wrote it.

A model's answer becomes part of a section the pipeline owns (the executive summary, Part A, one
Part B use case), so it may only use the heading levels below that section's own. The answer is
parsed with markdown-it (CommonMark and tables), not with line regexes, so a setext heading (a
paragraph underlined with `---`), a table or a fenced block is seen for what it is; each block
is then kept as its source lines, or rewritten:

- headings move so that the shallowest is at `level`; deeper than `deepest` they become bold
  lines; a "heading" that reads as a sentence (long, cited, or ending in a full stop) becomes
  the paragraph it is;
- the model's own source lists go ("Sources: [S1], [S3]", a "References" heading and what
  follows it, "[S1]: report.pdf, p. 3"): the report's numbered Sources section is the only one;
- a heading that repeats the section's title (or the heading just before it) goes;
- tables stay tables; rows that lack the `|---|` line under their header get one;
- a paragraph said twice in one answer is kept once; horizontal rules go; an answer wrapped
  whole in a ```markdown fence is unwrapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

# A heading of more words or characters than this reads as a paragraph.
HEADING_MAX_WORDS = 12
HEADING_MAX_CHARS = 90
_CITATION = re.compile(r"\[(?:S\d+|\d{1,4})\]")
_SOURCES_TITLE = re.compile(
    r"^(?:sources?|references?|bibliography|citations?|works cited|quellen|literatur|quellenangaben)"
    r"(?:\s+(?:used|cited))?\s*:?$",
    re.IGNORECASE,
)
# "Sources: [S1], [S3]", "**References:** …", "- Source: annual-report.pdf"
_SOURCES_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__|\*|_)?\s*"
    r"(?:sources?|references?|citations?|quellen|quelle)\s*(?:\*\*|__|\*|_)?\s*:",
    re.IGNORECASE,
)
# "[S1]: annual-report.pdf, p. 3", "- [S2] survey.xlsx", "1. [3] — memo.docx"
_SOURCE_ENTRY = re.compile(
    r"^\s*(?:[-*+]\s+|\d{1,3}[.)]\s+)?\[(?:S\d+|\d{1,4})\]\s*(?::.*|[-–—]?\s*[^\s]+\.(?:pdf|docx?|xlsx?|pptx?|csv|"
    r"tsv|json|jsonl|txt|md|html?|png|jpe?g|tiff?)\b.*)$",
    re.IGNORECASE,
)
_FENCED = re.compile(r"^\s*(`{3,}|~{3,})[ \t]*(?:markdown|md)?[ \t]*\n(.*)\n\1[ \t]*$", re.DOTALL | re.IGNORECASE)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(.+)\1$")


@cache
def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


@dataclass
class _Block:
    kind: str  # heading, paragraph, list, table, code, quote, html, hr
    lines: list[str]
    level: int = 0  # headings
    text: str = ""  # headings and paragraphs: the inline text


def normalise_markdown(text: str, *, level: int, deepest: int | None = None, drop_titles: Iterable[str] = ()) -> str:
    """`text` (a model's Markdown answer) fitted into a section whose own headings are at
    `level` and below, down to `deepest` (default `level + 1`). `drop_titles`: headings that
    would repeat the section's title (compared without case, numbering and emphasis)."""
    deepest = max(level, deepest if deepest is not None else level + 1)
    titles = {_title_key(t) for t in drop_titles if t.strip()}
    blocks = _clean(_blocks(_unwrap_fence(text)), titles)
    headings = [b.level for b in blocks if b.kind == "heading"]
    shift = level - min(headings) if headings else 0
    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            new = block.level + shift
            out.append(f"{'#' * new} {block.text}" if new <= deepest else f"**{block.text}**")
        else:
            out.append("\n".join(_trim_blank(block.lines)) if any(x.strip() for x in block.lines) else "")
    return "\n\n".join(b for b in out if b).strip()


def reads_as_paragraph(heading: str) -> bool:
    """A heading that is really a sentence or a paragraph: too long, cited, or ending in a full stop."""
    plain = " ".join(_strip_emphasis(heading).split())
    words = plain.split()
    if len(words) > HEADING_MAX_WORDS or len(plain) > HEADING_MAX_CHARS or _CITATION.search(plain):
        return True
    return len(words) > 4 and plain.endswith((".", "!", "?", ";", ","))


# --------------------------------------------------------------------------- parsing


def _unwrap_fence(text: str) -> str:
    match = _FENCED.match(text.strip())
    return match.group(2) if match else text


def _blocks(text: str) -> list[_Block]:
    lines = text.splitlines()
    tokens = markdown_parser().parse(text)
    blocks: list[_Block] = []
    for i, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.nesting == -1:
            continue
        start, end = token.map
        source = lines[start:end]
        kind = _KINDS.get(token.type)
        if kind is None:
            continue
        if kind in ("heading", "paragraph"):
            inline = _inline(tokens, i)
            block = _Block(kind, source, text=inline)
            if kind == "heading":
                block.level = int(token.tag[1])
                block.text = " ".join(inline.split()).strip().rstrip("#").strip()
            blocks.append(block)
        else:
            blocks.append(_Block(kind, source))
    return blocks


_KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "fence": "code",
    "code_block": "code",
    "blockquote_open": "quote",
    "html_block": "html",
    "hr": "hr",
}


def _inline(tokens: list[Token], i: int) -> str:
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return nxt.content if nxt is not None and nxt.type == "inline" else ""


# --------------------------------------------------------------------------- cleaning


def _clean(blocks: list[_Block], titles: set[str]) -> list[_Block]:
    kept: list[_Block] = []
    seen: set[str] = set()
    skip_below: int | None = None  # inside a model-written "Sources" section: skip to a heading at or above
    after_label = False  # just after a bare "Sources:" line: a list that follows is its entries
    for block in blocks:
        if block.kind == "heading":
            if skip_below is not None and block.level > skip_below:
                continue
            skip_below = None
            after_label = False
            plain = _strip_emphasis(block.text)
            if _SOURCES_TITLE.match(plain):
                skip_below = block.level
                continue
            if reads_as_paragraph(block.text):
                block = _Block("paragraph", [" ".join(block.text.split())], text=block.text)
            elif _title_key(plain) in titles or (
                kept and kept[-1].kind == "heading" and _title_key(kept[-1].text) == _title_key(plain)
            ):
                continue
            else:
                kept.append(block)
                continue
        if skip_below is not None or block.kind == "hr":
            continue
        if block.kind == "list" and after_label:
            after_label = False
            continue
        after_label = False
        if block.kind in ("paragraph", "list"):
            lines = [line for line in block.lines if not _SOURCE_ENTRY.match(line)]
            label_only = [line for line in lines if _SOURCES_LINE.match(line)]
            if label_only and all(_is_bare_label(line) for line in label_only):
                after_label = block.kind == "paragraph" and len(label_only) == len(lines)
            lines = [line for line in lines if not _SOURCES_LINE.match(line)]
            if not any(line.strip() for line in lines):
                continue
            block.lines = _trim_blank(lines)
            if block.kind == "paragraph" and _is_table_rows(lines):
                block = _Block("table", _with_delimiter(lines))
        if block.kind == "paragraph":
            key = " ".join(" ".join(block.lines).split()).casefold()
            if key in seen:
                continue
            seen.add(key)
        kept.append(block)
    return kept


def _trim_blank(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.strip())
    end = len(lines) - next(i for i, line in enumerate(reversed(lines)) if line.strip())
    return lines[start:end]


def _is_bare_label(line: str) -> bool:
    """ "Sources:" with nothing (or only emphasis) after the colon."""
    rest = line.split(":", 1)[1] if ":" in line else ""
    return not rest.strip(" *_")


def _is_table_rows(lines: list[str]) -> bool:
    rows = [line for line in lines if line.strip()]
    if len(rows) < 2 or not all(_TABLE_ROW.match(r) for r in rows):
        return False
    widths = {len(_cells(r)) for r in rows}
    return len(widths) == 1 and widths.pop() >= 2


def _cells(row: str) -> list[str]:
    return row.strip().strip("|").split("|")


def _with_delimiter(lines: list[str]) -> list[str]:
    rows = [line for line in lines if line.strip()]
    return [rows[0], "|" + "|".join("---" for _ in _cells(rows[0])) + "|", *rows[1:]]


def _strip_emphasis(text: str) -> str:
    text = text.strip()
    while match := _EMPHASIS.match(text):
        text = match.group(2).strip()
    return text


def _title_key(text: str) -> str:
    """A heading compared as a title: no emphasis, numbering ("1.", "Use case 2:"), case or punctuation."""
    plain = _strip_emphasis(text).casefold()
    plain = re.sub(r"^(?:use case\s+)?\d{1,3}\s*[.:)\-–—]\s*", "", plain)
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())
