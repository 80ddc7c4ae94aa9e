"""Ingest: a document's bytes become pages of text, then passages that say where they came from.

    detect_type(name, data)              -> "pdf", "docx", "pptx", "xlsx", "csv", "json",
                                            "txt", "md", "html" or "image" (read by OCR)
    extract_pages(name, data, settings)  -> [PageText(page, section, text, ocr), ...]
    chunk_pages(pages, file=, doc_sha256=, size=, overlap=) -> [Chunk, ...]

Anything we cannot read raises Unreadable (an InputError) whose `.reason` says why.
"""

from casebook.documents.chunk import chunk_pages
from casebook.documents.detect import detect_type
from casebook.documents.extract import extract_pages
from casebook.documents.pages import PageText, Unreadable

__all__ = ["PageText", "Unreadable", "chunk_pages", "detect_type", "extract_pages"]
