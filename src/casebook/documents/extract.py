"""A document's bytes to pages of text: detect the kind, check the limits, extract."""

from __future__ import annotations

import codecs
from pathlib import Path

from casebook.config import Settings
from casebook.documents.detect import OLE_MAGIC, ZIP_MAGICS, sniff
from casebook.documents.formats.htmltext import extract_html
from casebook.documents.formats.images import extract_image
from casebook.documents.formats.ocr import UnreadPages
from casebook.documents.formats.pdf import extract_pdf
from casebook.documents.formats.slides import extract_pptx
from casebook.documents.formats.textual import extract_csv, extract_json, extract_plain
from casebook.documents.formats.word import extract_docx
from casebook.documents.formats.xlsx import extract_xlsx
from casebook.documents.guards import check_size
from casebook.documents.pages import KIND_NAMES, PageText, Unreadable
from casebook.documents.readers import worth_rereading

__all__ = ["extract_document", "extract_pages", "read_document", "worth_rereading"]


def _extract(
    kind: str, name: str, data: bytes | Path, text: str | None, settings: Settings, unread: UnreadPages
) -> list[PageText]:
    if kind == "pdf":
        return extract_pdf(data, settings, unread)
    assert isinstance(data, bytes)  # only a PDF is read from its file
    if kind == "docx":
        return extract_docx(data, settings)
    if kind == "pptx":
        return extract_pptx(data, settings)
    if kind == "xlsx":
        return extract_xlsx(data, settings)
    if kind == "image":
        return extract_image(data, settings, unread)
    assert text is not None  # sniff decodes every text kind
    if kind == "csv":
        return extract_csv(text, name=name)
    if kind == "json":
        return extract_json(text)
    if kind == "html":
        return extract_html(text)
    return extract_plain(text)


_HEAD = 64 * 1024
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _pdf_or_bytes(name: str, path: Path) -> bytes | Path:
    """The file itself if it is a PDF (as `sniff` judges one: the marker in its first 1 KB),
    else its bytes. Binary junk is judged by its first 64 KB, never read whole: a NUL byte
    there, no text BOM, and no kind `sniff` can tell from it (a ZIP or OLE file is judged
    whole; an image is read whole)."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
        if b"%PDF-" in head[:1024]:
            return path
        rest = handle.read(1)
        if rest and b"\x00" in head and not head.startswith((*_BOMS, *ZIP_MAGICS, OLE_MAGIC)):
            sniff(name, head)  # raises Unreadable for binary data, as it would on the whole file
        return head + rest + handle.read()


def extract_pages(name: str, data: bytes, settings: Settings) -> list[PageText]:
    """The text of a document, page by page; Unreadable, and nothing else, when we cannot."""
    return extract_document(name, data, settings)[1]


def extract_document(name: str, data: bytes, settings: Settings) -> tuple[str, list[PageText]]:
    """(kind, pages): `detect_type` and `extract_pages` in one, so the content is sniffed once."""
    kind, pages, _ = read_document(name, data, settings)
    return kind, pages


def read_document(
    name: str, data: bytes | Path, settings: Settings
) -> tuple[str, list[PageText], str | None]:
    """(kind, pages, note): `extract_document`, and a note of the pages left unread, if any
    ("pages 2, 5 not read: scanned, OCR engine not installed …"). `data` may be a local file:
    a PDF is then read by PDFium from the file as it needs it (a 40 MB PDF of scans is never
    in memory whole); any other file is read into memory (at most CASEBOOK_MAX_FILE_MB)."""
    kind = "file"
    unread = UnreadPages(name)
    try:
        if isinstance(data, Path):
            data = _pdf_or_bytes(name, data)
        check_size(len(data) if isinstance(data, bytes) else data.stat().st_size, settings)
        kind, text = ("pdf", None) if isinstance(data, Path) else sniff(name, data)
        pages = _extract(kind, name, data, text, settings, unread)
    except Unreadable:
        raise
    except MemoryError:
        raise Unreadable("document too large to read in memory: split it") from None
    except RecursionError:
        raise Unreadable(f"{KIND_NAMES.get(kind, kind)} file nested too deeply to read") from None
    except Exception as exc:  # library errors of every kind: lxml, zipfile, KeyError, ...
        label = KIND_NAMES.get(kind, kind)
        raise Unreadable(
            f"corrupt or unreadable {label} file ({type(exc).__name__}): "
            "open it, save it again and retry"
        ) from exc
    if not pages:
        label = KIND_NAMES.get(kind, kind)
        raise Unreadable(f"no text: the {label} file is empty or holds no text")
    return kind, pages, unread.note
