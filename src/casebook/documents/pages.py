"""Shared by every format reader: a page of text, the kinds' names, text cleaning.

`Unreadable` (in casebook.errors) is re-exported here for the readers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from casebook.errors import Unreadable

__all__ = ["KIND_NAMES", "PageText", "Unreadable", "clean_text", "one_line"]

KIND_NAMES = {
    "pdf": "PDF",
    "docx": "Word",
    "pptx": "PowerPoint",
    "xlsx": "Excel",
    "csv": "CSV",
    "json": "JSON",
    "txt": "text",
    "md": "Markdown",
    "html": "HTML",
    "image": "image",
}


@dataclass(frozen=True)
class PageText:
    """The text of one page (PDF), slide (PPTX) or sheet (XLSX), or of a page-less document."""

    page: int | None
    section: str | None
    text: str
    ocr: bool = False
    """The text was read from an image of the page by OCR, not from its text layer."""


_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u00ad\ufeff\ufffe\uffff]")
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC, `\n` line breaks, no control or odd space characters, no runs of blank lines."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _DROPPED.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    if " \n" in text or "\t\n" in text:  # a substring test is much cheaper than a regex scan
        text = _TRAILING_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def one_line(text: str) -> str:
    """Whitespace (line breaks too) collapsed to single spaces."""
    return " ".join(text.split())
