"""A document's bytes to pages of text: detect the kind, check the limits, extract."""

from __future__ import annotations

from casebook.config import Settings
from casebook.documents.detect import sniff
from casebook.documents.formats.htmltext import extract_html
from casebook.documents.formats.images import extract_image
from casebook.documents.formats.ocr import Ocr, UnreadPages, for_want_of_ocr
from casebook.documents.formats.pdf import extract_pdf
from casebook.documents.formats.slides import extract_pptx
from casebook.documents.formats.textual import extract_csv, extract_json, extract_plain
from casebook.documents.formats.word import extract_docx
from casebook.documents.formats.xlsx import extract_xlsx
from casebook.documents.guards import check_size
from casebook.documents.pages import KIND_NAMES, PageText, Unreadable


def _extract(
    kind: str, name: str, data: bytes, text: str | None, settings: Settings, unread: UnreadPages
) -> list[PageText]:
    if kind == "pdf":
        return extract_pdf(data, settings, unread)
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


def worth_rereading(reason: str | None, settings: Settings) -> bool:
    """Whether a file skipped for `reason` may be read now: it went unread for want of OCR, which
    can run now (the engine was installed, or OCR turned back on)."""
    return reason is not None and for_want_of_ocr(reason) and Ocr(settings).missing is None


def extract_pages(name: str, data: bytes, settings: Settings) -> list[PageText]:
    """The text of a document, page by page; Unreadable, and nothing else, when we cannot."""
    return extract_document(name, data, settings)[1]


def extract_document(name: str, data: bytes, settings: Settings) -> tuple[str, list[PageText]]:
    """(kind, pages): `detect_type` and `extract_pages` in one, so the content is sniffed once."""
    kind, pages, _ = read_document(name, data, settings)
    return kind, pages


def read_document(name: str, data: bytes, settings: Settings) -> tuple[str, list[PageText], str | None]:
    """(kind, pages, note): `extract_document`, and a note of the pages left unread, if any
    ("pages 2, 5 not read: scanned, OCR engine not installed …")."""
    kind = "file"
    unread = UnreadPages(name)
    try:
        check_size(data, settings)
        kind, text = sniff(name, data)
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
