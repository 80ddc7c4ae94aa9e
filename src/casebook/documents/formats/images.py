"""Images (PNG, JPEG, TIFF, BMP, WebP) read by OCR: a photo or scan of a page is a document.

One page for an image; a multi-page TIFF gives one page per frame (page = frame number).
Phone photos are turned upright by their EXIF orientation first.
"""

from __future__ import annotations

import io

from casebook.config import Settings
from casebook.documents.formats.ocr import Ocr, OcrTimeout, UnreadPages
from casebook.documents.guards import check_count
from casebook.documents.pages import PageText, Unreadable

MAX_IMAGE_PIXELS = 80_000_000
"""Largest image decoded at all (a 40-megapixel photo is half of it); OCR scales images down anyway."""
_TOO_BIG = f"image over {MAX_IMAGE_PIXELS // 1_000_000} million pixels: scale it down and upload again"


def extract_image(data: bytes, settings: Settings, unread: UnreadPages | None = None) -> list[PageText]:
    """The OCR text of the image (of each frame); frames left unread go to `unread`."""
    ocr = Ocr(settings)
    unread = unread if unread is not None else UnreadPages("image")
    if ocr.missing is not None:
        raise Unreadable(f"an image, read only by OCR: {ocr.missing}")
    from PIL import Image, ImageOps, ImageSequence

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise Unreadable(_TOO_BIG)
            frames = getattr(image, "n_frames", 1)
            check_count(frames, "pages", settings)
            texts: list[str] = []
            timed_out = []
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number > ocr.max_pages:
                    break
                try:
                    texts.append(ocr.read(ImageOps.exif_transpose(frame)))
                except OcrTimeout:
                    texts.append("")
                    timed_out.append(number)
    except Image.DecompressionBombError:
        raise Unreadable(_TOO_BIG) from None
    if frames > 1:  # a single image that is not read is a skipped file, not a skipped page
        unread.add(timed_out, f"OCR took over {ocr.timeout_s:g}s (CASEBOOK_OCR_TIMEOUT_S)")
        over = list(range(ocr.max_pages + 1, frames + 1))
        unread.add(over, f"over {ocr.max_pages} OCR pages (CASEBOOK_OCR_MAX_PAGES)")
    single = frames == 1
    pages = [
        PageText(page=None if single else number, section=None, text=text, ocr=True)
        for number, text in enumerate(texts, start=1)
        if text
    ]
    if not pages:
        if timed_out:
            raise Unreadable(f"image: OCR ran out of time (CASEBOOK_OCR_TIMEOUT_S={ocr.timeout_s:g})")
        raise Unreadable("image: OCR found no text in it")
    return pages
