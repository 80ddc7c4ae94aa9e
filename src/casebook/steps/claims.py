"""The claims of a Markdown report: its sentences, the citations each carries, and its quotes.

A report is cut into prose regions (a paragraph, a list item, a table cell, a heading; code
blocks are left alone), each region into sentences (sentencex, rule-based and multilingual).
A citation written after a sentence's full stop ("… in 2025. [S3]") belongs to that sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from sentencex import segment

# [S3], [S3, S7], [S3; S7] — and direct references such as [annual-report.pdf, p. 4]
CITATION = re.compile(r"\[((?:S\d{1,4})(?:\s*[,;]\s*S\d{1,4})*)\]")
FILE_REF = re.compile(r"\[([^\[\]\n]{1,200}?\.[A-Za-z0-9]{2,5}),\s*(?:p\.|page)\s*(\d{1,5})\]")
_ANY_CITATION = re.compile(f"{CITATION.pattern}|{FILE_REF.pattern}")
_LEADING_CITATIONS = re.compile(rf"^\s*(?:(?:{CITATION.pattern}|{FILE_REF.pattern})\s*)+")
_PREFIX = re.compile(r"^(\s*(?:>\s*)*(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+)?)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_QUOTE = re.compile(r"[\"“„«»]([^\"“”„«»\n]{3,400}?)[\"”“«»]")
MIN_QUOTE_WORDS = 3  # shorter quoted text is a name or a term ("the Bible"), not a quotation


@dataclass(frozen=True)
class Citation:
    start: int  # span of the marker in the report
    end: int
    source_ids: tuple[str, ...] = ()  # [S3, S7]
    file: str | None = None  # [annual-report.pdf, p. 4]
    page: int | None = None


@dataclass
class Sentence:
    start: int  # span in the report, trailing whitespace excluded
    end: int
    text: str
    heading: bool = False
    citations: list[Citation] = field(default_factory=list)

    @property
    def claim(self) -> str:
        """The sentence without its citation markers."""
        text = " ".join(_ANY_CITATION.sub(" ", self.text).split())
        return re.sub(r" ([.,;:!?])", r"\1", text)


def sentences(markdown: str) -> list[Sentence]:
    """Every sentence of the report's prose, in order, with its citations."""
    found: list[Sentence] = []
    for start, end, heading in _regions(markdown):
        found += _split(markdown, start, end, heading)
    return found


def _regions(markdown: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_heading) of every prose region: paragraphs, list items, headings, table cells."""
    regions: list[list[int]] = []  # [start, end, heading]
    offset, fenced = 0, False
    open_region: int | None = None  # index of the paragraph or item a wrapped line would extend
    for line in markdown.splitlines(keepends=True):
        begin, text = offset, line.rstrip("\r\n")
        offset += len(line)
        if _FENCE.match(text):
            fenced, open_region = not fenced, None
            continue
        if fenced or not text.strip():
            open_region = None
            continue
        if text.lstrip().startswith("|"):
            open_region = None
            regions += [[s, e, 0] for s, e in _cells(text, begin)]
            continue
        prefix = _PREFIX.match(text).group(1)  # type: ignore[union-attr]
        heading = prefix.lstrip(" >").startswith("#")
        if open_region is not None and not prefix.strip():
            regions[open_region][1] = begin + len(text)  # a wrapped line continues the paragraph or item
            continue
        regions.append([begin + len(prefix), begin + len(text), int(heading)])
        open_region = None if heading else len(regions) - 1
    return [(s, e, bool(h)) for s, e, h in regions if e > s]


def _cells(line: str, begin: int) -> list[tuple[int, int]]:
    if re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", line):
        return []  # the separator row
    cells = []
    for match in re.finditer(r"[^|]+", line):
        if match.group(0).strip():
            lead = len(match.group(0)) - len(match.group(0).lstrip())
            cells.append((begin + match.start() + lead, begin + match.start() + len(match.group(0).rstrip())))
    return cells


def _split(markdown: str, start: int, end: int, heading: bool) -> list[Sentence]:
    text = markdown[start:end]
    pieces = list(segment("en", text))
    if "".join(pieces) != text:
        pieces = [text]  # the segmenter changed the text: keep the region whole
    spans: list[list[int]] = []
    at = start
    for piece in pieces:
        if piece.strip():
            moved = _LEADING_CITATIONS.match(piece)
            if moved and spans:  # "… in 2025. [S3] Next" — the citation closes the sentence before
                spans[-1][1] = at + moved.end()
                if piece[moved.end() :].strip():
                    spans.append([at + moved.end(), at + len(piece)])
            else:
                spans.append([at, at + len(piece)])
        at += len(piece)
    result = []
    for s, e in spans:
        while s < e and markdown[s].isspace():
            s += 1
        while e > s and markdown[e - 1].isspace():
            e -= 1
        if e > s:
            result.append(Sentence(s, e, markdown[s:e], heading, _citations(markdown, s, e)))
    return result


def _citations(markdown: str, start: int, end: int) -> list[Citation]:
    found = []
    for match in _ANY_CITATION.finditer(markdown, start, end):
        if match.group(1) is not None:
            ids = tuple(re.findall(r"S\d{1,4}", match.group(1)))
            found.append(Citation(match.start(), match.end(), source_ids=ids))
        else:
            found.append(Citation(match.start(), match.end(), file=match.group(2).strip(), page=int(match.group(3))))
    return found


# -- quotations --------------------------------------------------------------------------------


def quotations(text: str) -> list[str]:
    """The quoted passages of a sentence that are long enough to be quotations."""
    quotes = []
    for match in _QUOTE.finditer(text):
        inner = match.group(1).strip()
        if len(re.findall(r"\w+", inner)) >= MIN_QUOTE_WORDS:
            quotes.append(inner)
    return quotes


_FOLD = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "-", "—": "-",
     "‑": "-", "\u00ad": None, "*": None, "_": None}
)  # fmt: skip


@cache
def normalise(text: str) -> str:
    """Case, width, whitespace, quote marks, dashes and Markdown emphasis folded away."""
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return " ".join(folded.split())


def quoted_in(quote: str, passage: str) -> bool:
    """True if the quote occurs in the passage (normalised); "…" may join parts that occur in order."""
    haystack = normalise(passage)
    at = 0
    for part in re.split(r"\s*(?:\.\.\.|…|\[\.\.\.\]|\[…\])\s*", quote):
        needle = normalise(part).strip(" .,;:!?'\"")
        if not needle:
            continue
        found = haystack.find(needle, at)
        if found < 0:
            return False
        at = found + len(needle)
    return True
