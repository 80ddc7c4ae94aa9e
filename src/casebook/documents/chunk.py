"""Pages to passages: about `size` characters, `overlap` shared, cut where the text allows.

A passage ends at the last paragraph break in its second half, else at a line break, a
sentence end or a space, else after `size` characters. The next one starts `overlap`
characters earlier (at a word where it can), except after a paragraph break.

Each passage is an exact slice of its page's text (page.text[start:end] == chunk.text), never
spans two pages, and is numbered across the whole document.
"""

from __future__ import annotations

import re

from casebook.documents.pages import PageText
from casebook.models import Chunk

# Preferred cut points, best first: a paragraph break, a line break, a sentence end, a space.
_CUTS = (
    re.compile(r"\n[^\S\n]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.!?…。！？][\"'”’)\]]*\s+"),
    re.compile(r"\s+"),
)
_SPACE = re.compile(r"\s")


def _cut(text: str, start: int, size: int) -> tuple[int, bool]:
    """Where the passage starting at `start` ends (the best boundary in its second half), and
    whether that is a paragraph break, after which the next passage need not overlap."""
    limit = start + size
    if limit >= len(text):
        return len(text), True
    earliest = start + max(1, size // 2)
    for rank, pattern in enumerate(_CUTS):
        last = None
        for last in pattern.finditer(text, earliest, limit + 1):  # noqa: B007
            pass
        if last is not None:
            return min(last.end(), limit), rank == 0
    return limit, False


def _spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            return spans
        end, paragraph = _cut(text, start, size)
        trimmed = end
        while trimmed > start and text[trimmed - 1].isspace():
            trimmed -= 1
        if trimmed > start:
            spans.append((start, trimmed))
        if end >= len(text):
            return spans
        following = end if paragraph else max(end - overlap, start + 1)
        if following < end:  # begin the overlap at a word, where there is one
            space = _SPACE.search(text, following, end)
            if space is not None:
                following = space.end()
        start = following


def chunk_pages(
    pages: list[PageText], *, file: str, doc_sha256: str, size: int, overlap: int
) -> list[Chunk]:
    """Passages of every page; `overlap` is capped at a third of `size` so passages advance."""
    if size < 1:
        raise ValueError("size must be at least 1 character")
    overlap = max(0, min(overlap, size // 3))
    prefix = doc_sha256[:12]
    chunks: list[Chunk] = []
    for page in pages:
        for start, end in _spans(page.text, size, overlap):
            chunks.append(
                Chunk(
                    chunk_id=f"{prefix}-{len(chunks):04d}",
                    file=file,
                    doc_sha256=doc_sha256,
                    page=page.page,
                    section=page.section,
                    start=start,
                    end=end,
                    text=page.text[start:end],
                    ocr=page.ocr,
                )
            )
    return chunks
