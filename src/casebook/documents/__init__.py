"""Ingest: a document's bytes become pages of text, then passages that say where they came from.

    detect_type(name, data)              -> "pdf", "docx", "pptx", "xlsx", "csv", "json",
                                            "txt", "md", "html" or "image" (read by OCR)
    extract_pages(name, data, settings)  -> [PageText(page, section, text, ocr), ...]
    chunk_pages(pages, file=, doc_sha256=, size=, overlap=) -> [Chunk, ...]

Anything we cannot read raises Unreadable (an InputError) whose `.reason` says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casebook.documents.chunk import chunk_pages
from casebook.documents.pages import PageText, Unreadable

if TYPE_CHECKING:
    from casebook.documents.detect import detect_type
    from casebook.documents.extract import extract_pages

__all__ = ["PageText", "Unreadable", "chunk_pages", "detect_type", "extract_pages"]


def __getattr__(name: str) -> Any:
    """The readers are imported when first used: a process that only stores and searches
    passages (the one that hands files to reading workers) does not load the format libraries."""
    if name == "detect_type":
        from casebook.documents.detect import detect_type

        return detect_type
    if name == "extract_pages":
        from casebook.documents.extract import extract_pages

        return extract_pages
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
