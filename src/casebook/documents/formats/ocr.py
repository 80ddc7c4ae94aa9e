"""OCR with Tesseract (Debian's `tesseract-ocr` and its language packs) through pytesseract.

Offline: pytesseract runs the installed `tesseract` binary on an image; nothing is downloaded.
On by default when the engine is installed (CASEBOOK_OCR=on|off, `--no-ocr`); when it is not,
`Ocr.missing` says how to install it, and images and scanned pages are skipped with that reason.
Bounded: at most CASEBOOK_OCR_MAX_PAGES pages a document, pages rendered at CASEBOOK_OCR_DPI,
each image at most MAX_PIXELS, and every page given CASEBOOK_OCR_TIMEOUT_S seconds.
"""

from __future__ import annotations

import functools
import os
import shutil
from typing import TYPE_CHECKING

from casebook.config import Settings
from casebook.documents.pages import clean_text
from casebook.logs import get_logger

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_PIXELS = 40_000_000
"""Largest image handed to Tesseract (an A4 page at 300 dpi is 8.7 million); larger ones are scaled down."""
INSTALL = (
    "install the OCR engine: `apt-get install tesseract-ocr tesseract-ocr-eng` "
    "and `pip install 'casebook[ocr]'` (`make setup` does both)"
)


def _engine_missing(languages: str) -> str | None:
    """Why Tesseract cannot read `languages` (e.g. "eng+deu") here, or None when it can."""
    try:
        import pytesseract
    except ImportError:
        return f"OCR engine not installed (pytesseract missing): {INSTALL}"
    return _tesseract_missing(pytesseract.pytesseract.tesseract_cmd, languages)


@functools.lru_cache(maxsize=8)
def _tesseract_missing(command: str, languages: str) -> str | None:
    import pytesseract

    if shutil.which(command) is None:
        return f"OCR engine not installed (no `tesseract` program): {INSTALL}"
    try:
        installed = set(pytesseract.get_languages(config=""))
    except (OSError, RuntimeError, pytesseract.TesseractError) as exc:
        return f"OCR engine does not run ({type(exc).__name__}): {INSTALL}"
    wanted = [lang for lang in languages.split("+") if lang]
    absent = [lang for lang in wanted if lang not in installed]
    if absent:
        packages = " ".join(f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in absent)
        return f"OCR language data missing for {'+'.join(absent)}: `apt-get install {packages}`"
    return None


_UNAVAILABLE = ("OCR is off", "OCR engine not installed", "OCR engine does not run", "OCR language data missing")


def for_want_of_ocr(reason: str) -> bool:
    """Whether a skip reason says the file went unread because OCR could not run."""
    return any(phrase in reason for phrase in _UNAVAILABLE)


class OcrTimeout(Exception):
    """Tesseract took longer than its time on one image."""


class Ocr:
    """Text from images, as the settings allow; `missing` is why it cannot, or None."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.ocr
        self.languages = settings.ocr_languages
        self.dpi = settings.ocr_dpi
        self.max_pages = settings.ocr_max_pages
        self.timeout_s = settings.ocr_timeout_s

    @property
    def missing(self) -> str | None:
        """Why OCR cannot run here; each reason holds one of _UNAVAILABLE's phrases."""
        if not self.enabled:
            return "OCR is off (CASEBOOK_OCR=off or --no-ocr): turn it on to read it"
        return _engine_missing(self.languages)

    def read(self, image: Image) -> str:
        """The text Tesseract finds in `image` (cleaned); OcrTimeout when it runs out of time."""
        import pytesseract

        pixels = image.width * image.height
        if pixels > MAX_PIXELS:
            factor = (MAX_PIXELS / pixels) ** 0.5
            image = image.resize((max(1, int(image.width * factor)), max(1, int(image.height * factor))))
        image = _opaque(image)
        # Tesseract's OpenMP threads spin while they wait: on a busy 2-core machine a page cost
        # 14 CPU seconds instead of 3.5. One thread per tesseract process (as its maintainers
        # advise when pages are read side by side), for its own child process only, unless set.
        pytesseract.pytesseract.environ = {"OMP_THREAD_LIMIT": "1", **os.environ}
        try:
            text = pytesseract.image_to_string(image, lang=self.languages, timeout=self.timeout_s)
        except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
            if "timeout" in str(exc).lower():
                raise OcrTimeout(f"OCR took over {self.timeout_s:g}s (CASEBOOK_OCR_TIMEOUT_S)") from None
            raise
        return clean_text(text)


def _opaque(image: Image) -> Image:
    """Grey or RGB pixels Tesseract reads; transparent parts laid on white, as a viewer shows them
    (dropping the alpha channel would turn a transparent background black, hiding black text)."""
    from PIL import Image as Images

    if image.mode in ("L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Images.new("RGBA", rgba.size, "white")
        return Images.alpha_composite(background, rgba).convert("RGB")
    return image.convert("L" if image.mode in ("1", "I", "I;16", "F") else "RGB")


class UnreadPages:
    """Pages of a document that was read, though these pages were not: said in the log, and
    kept as one note for the ingest report ("pages 2, 5 not read: OCR engine not installed …")."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.notes: list[str] = []

    def add(self, pages: list[int], reason: str) -> None:
        if not pages:
            return
        get_logger().warning("pages not read", document=self.what, pages=pages, reason=reason)
        self.notes.append(f"{_page_list(pages)} not read: {reason}")

    @property
    def note(self) -> str | None:
        return "; ".join(self.notes) or None


def _page_list(pages: list[int]) -> str:
    if len(pages) == 1:
        return f"page {pages[0]}"
    shown = ", ".join(str(p) for p in pages[:10])
    return f"pages {shown}" + (f" and {len(pages) - 10} more" if len(pages) > 10 else "")
