"""PDF text per page with pypdfium2.

PDFium is not thread-safe, so every call into it holds one process-wide lock.
"""

from __future__ import annotations

import threading

import pypdfium2 as pdfium

from casebook.config import Settings
from casebook.documents.guards import check_count
from casebook.documents.pages import PageText, Unreadable, clean_text

_LOCK = threading.Lock()
_ERR_PASSWORD = 4  # FPDF_ERR_PASSWORD
_ERR_SECURITY = 6  # FPDF_ERR_SECURITY: an unsupported security handler


def _open_error(exc: pdfium.PdfiumError) -> Unreadable:
    code = getattr(exc, "err_code", None)
    if code == _ERR_PASSWORD or "password" in str(exc).lower():
        return Unreadable("password-protected PDF: remove the password and upload again")
    if code == _ERR_SECURITY:
        return Unreadable(
            "PDF locked by an unsupported security handler (DRM): export an unlocked copy"
        )
    return Unreadable("corrupt or truncated PDF: it cannot be opened; export or download it again")


def extract_pdf(data: bytes, settings: Settings) -> list[PageText]:
    pages: list[PageText] = []
    with _LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise _open_error(exc) from None
        try:
            count = len(document)
            if count == 0:
                raise Unreadable("PDF has no pages")
            check_count(count, "pages", settings)
            for index in range(count):
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        text = clean_text(textpage.get_text_range())
                    finally:
                        textpage.close()
                finally:
                    page.close()
                if text:
                    pages.append(PageText(page=index + 1, section=None, text=text))
        except pdfium.PdfiumError:
            raise Unreadable(
                "corrupt PDF: a page cannot be read; export or download it again"
            ) from None
        finally:
            document.close()
    if not pages:
        raise Unreadable("no text layer: scanned/image-only PDF; OCR it first")
    return pages
