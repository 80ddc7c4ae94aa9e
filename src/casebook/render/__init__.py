"""Render the canonical Markdown report as HTML, PDF and Word, with charts, numbered sources,
a template's structure and language, and the consultancy's branding.

    document.py  Markdown -> sections in the template's order and words
    charts.py    readiness gauge, impact/effort matrix, roadmap timeline (matplotlib)
    html.py      self-contained HTML (markdown-it-py)
    pdf.py       the HTML laid out as PDF (WeasyPrint; why: see there)
    word.py      an editable .docx (python-docx); word_markdown.py: its Markdown blocks
    template.py  report templates (TOML)
    run.py       a run's report rendered into its final/ folder (finalize, `casebook render`)

HTML, PDF and Word need the `render` extra (matplotlib draws the charts of all three, WeasyPrint
lays out the PDF); without it a run writes its Markdown report only (writable_formats).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from casebook.errors import ConfigError
from casebook.extras import install_command, installed, require
from casebook.models import Submission, UseCase
from casebook.render.document import build_document
from casebook.render.template import ReportTemplate, Section, builtin_template, load_template

__all__ = [
    "FORMATS",
    "Branding",
    "ReportTemplate",
    "Section",
    "builtin_template",
    "load_template",
    "render_report",
    "writable_formats",
]

FORMATS = ("html", "pdf", "docx")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


@dataclass(frozen=True)
class Branding:
    """Whose report it is: the name and logo in the page header, and two colours (#rrggbb)."""

    company: str = "casebook"
    logo: Path | None = None
    primary: str = "#1f4e79"
    accent: str = "#c55a11"

    def __post_init__(self) -> None:
        for name in ("primary", "accent"):
            if not _COLOUR.match(getattr(self, name)):
                raise ConfigError(
                    f"branding {name} colour must look like #1f4e79 (got {getattr(self, name)!r})"
                )

    def logo_data(self) -> tuple[bytes, str] | None:
        """The logo's bytes and MIME type; ConfigError when it cannot be used."""
        if self.logo is None:
            return None
        mime = _LOGO_TYPES.get(self.logo.suffix.lower())
        if mime is None:
            raise ConfigError(f"branding logo {self.logo}: use a PNG, JPEG, GIF, WebP or SVG file")
        try:
            return self.logo.read_bytes(), mime
        except OSError as exc:
            raise ConfigError(
                f"branding logo {self.logo}: cannot read it ({exc.strerror})"
            ) from None


def writable_formats(formats: Iterable[str]) -> tuple[list[str], str | None]:
    """The formats of `formats` this installation can write, and a one-line note naming the
    extra to install when it cannot write them (the Markdown report is always written)."""
    wanted = list(dict.fromkeys(formats))
    if not wanted or installed("render"):
        return wanted, None
    return [], (
        f"only the Markdown report is written: {', '.join(wanted)} need the render extra "
        f"({install_command('render')})"
    )


def render_report(
    markdown: str,
    *,
    use_cases: list[UseCase],
    submission: Submission,
    template: ReportTemplate,
    branding: Branding,
    formats: Iterable[str] = FORMATS,
) -> dict[str, bytes]:
    """The report in each of `formats` ("html", "pdf", "docx"), by format."""
    wanted = tuple(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown report format {unknown[0]!r}: choose from {', '.join(FORMATS)}")
    if wanted:
        require("render", f"the {', '.join(wanted)} report")
    from casebook.render.charts import make_charts

    doc = build_document(markdown, use_cases=use_cases, submission=submission, template=template)
    logo = branding.logo_data()
    charts = make_charts(
        use_cases,
        submission,
        template,
        branding.primary,
        branding.accent,
        svg="html" in wanted,
        svg_text="pdf" in wanted,
        png="docx" in wanted,
    )
    out: dict[str, bytes] = {}
    if "html" in wanted or "pdf" in wanted:
        from casebook.render.html import render_html

        def html(for_pdf: bool) -> str:
            return render_html(
                doc,
                charts,
                template,
                company=branding.company,
                primary=branding.primary,
                accent=branding.accent,
                logo=logo,
                for_pdf=for_pdf,
            )

        if "html" in wanted:
            out["html"] = html(False).encode("utf-8")
        if "pdf" in wanted:
            from casebook.render.pdf import html_to_pdf

            out["pdf"] = html_to_pdf(html(True))
    if "docx" in wanted:
        from casebook.render.word import render_docx

        out["docx"] = render_docx(
            doc, charts, template, company=branding.company, primary=branding.primary, logo=logo
        )
    return {f: out[f] for f in wanted}
