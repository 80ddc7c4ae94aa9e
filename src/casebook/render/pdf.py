"""The PDF: the report's HTML laid out by WeasyPrint.

Why WeasyPrint and not headless Chromium (both install from the registries here):
- it is a Python package (PyPI `weasyprint`) whose only system needs are Pango/HarfBuzz/
  fontconfig, which Debian machines here already carry (libpango-1.0-0, libpangoft2-1.0-0);
  Chromium is a ~300 MB Debian package and a browser process to start, sandbox and clean up
  per render, in a worker that may run as root;
- it implements CSS Paged Media, which a report needs and Chromium's print does not fully:
  running headers and footers with `string-set`, "Page 3 of 30", `target-counter()` page
  numbers and dot leaders in the table of contents, PDF bookmarks from the headings;
- it is fast enough: the 29-page benchmark report (bench/render.py) lays out in ~2.5 s of CPU
  on this 2-core machine; Chromium's --print-to-pdf of the same HTML took ~1.8 s of CPU
  including the browser's start, so Chromium would be a little cheaper, not enough to outweigh
  the points above (both leave the whole render, all formats, under the 5 s target);
- it never touches the network here: the fetcher allows only data: URIs and the font files.
The text uses the DejaVu fonts that matplotlib ships, so the PDF looks the same on every machine.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

_FACES = (
    ("DejaVu Sans", "DejaVuSans.ttf", "normal", "normal"),
    ("DejaVu Sans", "DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVu Sans", "DejaVuSans-Oblique.ttf", "normal", "italic"),
    ("DejaVu Sans", "DejaVuSans-BoldOblique.ttf", "bold", "italic"),
    ("DejaVu Sans Mono", "DejaVuSansMono.ttf", "normal", "normal"),
    ("DejaVu Sans Mono", "DejaVuSansMono-Bold.ttf", "bold", "normal"),
)


@cache
def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_faces_css() -> str:
    """@font-face rules pinning the report's fonts to matplotlib's DejaVu files."""
    rules = []
    for family, file, weight, style in _FACES:
        path = font_dir() / file
        if path.is_file():
            rules.append(
                f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); '
                f"font-weight: {weight}; font-style: {style}; }}"
            )
    return "\n".join(rules) + "\n"


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    document = HTML(string=html, base_url=font_dir().as_uri() + "/", url_fetcher=_fetcher())
    pdf: bytes = document.write_pdf(font_config=fonts)
    return pdf


def _fetcher() -> Any:
    """data: URIs, and file: URIs inside matplotlib's font folder; nothing else."""
    from weasyprint.urls import URLFetcher

    allowed = font_dir().as_uri() + "/"

    class ReportFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:") or (url.startswith(allowed) and ".." not in url):
                return super().fetch(url, headers)
            raise ValueError(f"the report fetches nothing from outside: {url[:80]}")

    return ReportFetcher(allowed_protocols=("data", "file"))
