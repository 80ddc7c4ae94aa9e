"""PDF text per page with pypdfium2: what a reader sees on each page.

Form fields and annotations are flattened into the page first (FPDFPage_Flatten, after the
form environment is set up), so filled-in values and annotations that show are read; the text
of comments that the page does not show (sticky notes, highlights' notes) follows the page's
text. Hyphens at line breaks are resolved against the document's own words (hyphens.py).

A page is judged by its text layer, not by heuristics: a page with extractable text is read;
a page without is rendered and OCR'd when the engine is available (ocr.py). When no page
yields text, the reason says which it was: pages of images (a scan), text without a Unicode
mapping, or blank pages.

PDFium is not thread-safe, so every call into it holds one process-wide lock; the lock is
released while Tesseract reads a rendered page.
"""

from __future__ import annotations

import ctypes
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from casebook.config import Settings
from casebook.documents.formats.hyphens import join_line_breaks
from casebook.documents.formats.ocr import MAX_PIXELS, Ocr, OcrTimeout, UnreadPages
from casebook.documents.guards import check_count
from casebook.documents.pages import PageText, Unreadable, clean_text, one_line

if TYPE_CHECKING:
    from PIL.Image import Image

_LOCK = threading.Lock()
_ERR_PASSWORD = 4  # FPDF_ERR_PASSWORD
_ERR_SECURITY = 6  # FPDF_ERR_SECURITY: an unsupported security handler
_NOT_COMMENTS = frozenset({pdfium_c.FPDF_ANNOT_LINK, pdfium_c.FPDF_ANNOT_POPUP, pdfium_c.FPDF_ANNOT_WIDGET})
_TEXT, _IMAGE = pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_IMAGE
_OBJECTS_LOOKED_AT = 2000
_VISIBLE = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff\uffff]")
"""A character that clean_text keeps and that is not a space: the page has text."""


@dataclass
class _Read:
    """What one pass over the pages found."""

    texts: dict[int, str] = field(default_factory=dict)  # page number -> raw text (hyphen marks kept)
    comments: dict[int, list[str]] = field(default_factory=dict)
    textless: dict[int, set[int]] = field(default_factory=dict)  # page number -> its object types


def _open_error(exc: pdfium.PdfiumError) -> Unreadable:
    code = getattr(exc, "err_code", None)
    if code == _ERR_PASSWORD or "password" in str(exc).lower():
        return Unreadable("password-protected PDF: remove the password and upload again")
    if code == _ERR_SECURITY:
        return Unreadable(
            "PDF locked by an unsupported security handler (DRM): export an unlocked copy"
        )
    return Unreadable("corrupt or truncated PDF: it cannot be opened; export or download it again")


def _annotation_text(annot: pdfium_c.FPDF_ANNOTATION) -> str:
    size = pdfium_c.FPDFAnnot_GetStringValue(annot, b"Contents", None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    pdfium_c.FPDFAnnot_GetStringValue(annot, b"Contents", buffer, size)
    return one_line(bytes(buffer).decode("utf-16-le", errors="ignore").rstrip("\x00"))


def _comments(page: pdfium.PdfPage, count: int) -> list[str]:
    """The text of every annotation but links, popups (copies of their parent's) and form fields."""
    texts = []
    for index in range(count):
        annot = pdfium_c.FPDFPage_GetAnnot(page, index)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) not in _NOT_COMMENTS:
                texts.append(_annotation_text(annot))
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return list(dict.fromkeys(t for t in texts if t))


def _object_types(page: pdfium.PdfPage) -> set[int]:
    """The kinds of object on a page without text, enough to judge it: an image makes it a scan;
    the first _OBJECTS_LOOKED_AT objects say the rest (a map can hold a hundred thousand paths)."""
    types: set[int] = set()
    for seen, obj in enumerate(page.get_objects(max_depth=4)):
        types.add(obj.type)
        if _IMAGE in types or seen >= _OBJECTS_LOOKED_AT:
            break
    return types


def _read_page(document: pdfium.PdfDocument, index: int, found: _Read) -> None:
    page = document[index]
    try:
        annotations = pdfium_c.FPDFPage_GetAnnotCount(page)
        if annotations > 0:
            found.comments[index + 1] = _comments(page, annotations)
            if pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_NORMALDISPLAY) == pdfium_c.FLATTEN_SUCCESS:
                page.close()
                page = document[index]  # flattening rewrites the content: load the page again
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
        if _VISIBLE.search(text):
            found.texts[index + 1] = text
        else:
            found.textless[index + 1] = _object_types(page)
    finally:
        page.close()


def _render(document: pdfium.PdfDocument, number: int, dpi: int) -> Image:
    page = document[number - 1]
    try:
        width, height = page.get_size()
        scale = dpi / 72
        if width * height * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (width * height)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            return bitmap.to_pil().copy()
        finally:
            bitmap.close()
    finally:
        page.close()


def _ocr_pages(
    document: pdfium.PdfDocument, numbers: list[int], ocr: Ocr, unread: UnreadPages
) -> tuple[dict[int, str], list[int]]:
    """OCR text of the given pages, and the pages that ran out of time (the lock held to render,
    released while Tesseract reads)."""
    texts: dict[int, str] = {}
    timed_out = []
    for number in numbers[: ocr.max_pages]:
        with _LOCK:
            image = _render(document, number, ocr.dpi)
        try:
            texts[number] = ocr.read(image)
        except OcrTimeout:
            timed_out.append(number)
    unread.add(timed_out, f"OCR took over {ocr.timeout_s:g}s (CASEBOOK_OCR_TIMEOUT_S)")
    unread.add(numbers[ocr.max_pages :], f"over {ocr.max_pages} OCR pages (CASEBOOK_OCR_MAX_PAGES)")
    return texts, timed_out


def _no_text(found: _Read, ocr: Ocr, timed_out: bool) -> Unreadable:
    types = set().union(*found.textless.values())
    if not types:
        return Unreadable("no text: the PDF's pages are blank")
    if _IMAGE in types:
        what = "scanned/image-only PDF (no text layer)"
    elif _TEXT in types:
        what = "PDF text cannot be extracted (its fonts map no characters to Unicode)"
    else:
        what = "PDF without a text layer (drawings only)"
    if ocr.missing is not None:
        return Unreadable(f"{what}: {ocr.missing}")
    if timed_out:
        return Unreadable(f"{what}, and OCR ran out of time (CASEBOOK_OCR_TIMEOUT_S={ocr.timeout_s:g})")
    return Unreadable(f"{what}, and OCR found no text in it")


def _page_text(text: str, comments: list[str]) -> str:
    text = clean_text(text)
    shown = one_line(text)
    notes = [f"Comment: {c}" for c in comments if c not in shown]
    return clean_text("\n\n".join([text, *notes])) if notes else text


def extract_pdf(data: bytes | Path, settings: Settings, unread: UnreadPages | None = None) -> list[PageText]:
    """The pages with text; pages left unread (no OCR, OCR over its bounds) go to `unread`.
    `data`: the PDF's bytes, or a local PDF file, which PDFium reads as it needs."""
    ocr = Ocr(settings)
    unread = unread if unread is not None else UnreadPages("PDF")
    found = _Read()
    with _LOCK:
        try:
            document = pdfium.PdfDocument(data)
            document.init_forms()  # before any page is loaded, so form fields can be flattened
        except pdfium.PdfiumError as exc:
            raise _open_error(exc) from None
    try:
        with _LOCK:
            count = len(document)
        if count == 0:
            raise Unreadable("PDF has no pages")
        check_count(count, "pages", settings)
        try:
            for index in range(count):
                with _LOCK:
                    _read_page(document, index, found)
            to_ocr = [number for number, types in found.textless.items() if types]
            ocr_texts: dict[int, str] = {}
            timed_out: list[int] = []
            if to_ocr and ocr.missing is None:
                ocr_texts, timed_out = _ocr_pages(document, to_ocr, ocr, unread)
        except pdfium.PdfiumError:
            raise Unreadable("corrupt PDF: a page cannot be read; export or download it again") from None
    finally:
        with _LOCK:
            document.close()
    numbers = sorted(found.texts)
    texts = dict(zip(numbers, join_line_breaks([found.texts[n] for n in numbers]), strict=True))
    pages = []
    for number in sorted({*texts, *ocr_texts, *found.comments}):
        from_ocr = number not in texts and bool(ocr_texts.get(number))
        text = _page_text(texts.get(number) or ocr_texts.get(number, ""), found.comments.get(number, []))
        if text:
            pages.append(PageText(page=number, section=None, text=text, ocr=from_ocr))
    if not pages:
        raise _no_text(found, ocr, timed_out=bool(timed_out))
    if to_ocr and ocr.missing is not None:
        unread.add(to_ocr, f"no text layer (a scan?), {ocr.missing}")
    return pages
