"""The rendered report checked as a reader would: the PDF as page images and extracted text,
the Word file reopened, the HTML in a real browser; and a German template in all three.

Needs the Debian packages poppler-utils (pdftoppm) and chromium. Only the Chromium test skips
when its browser is missing; nothing here installs anything.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import cast

import docx
import pypdfium2 as pdfium
import pytest
from docx.document import Document as WordDocument
from docx.text.paragraph import Paragraph
from PIL import Image, ImageStat
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from casebook.render import Branding, ReportTemplate, builtin_template, load_template, render_report
from casebook.testing.sample_report import sample_report

N = 7
ENGLISH = [
    "Executive summary",
    "AI readiness",
    "Use case portfolio",
    "Part A: Company analysis",
    "Part B: Use cases in depth",
    "Roadmap",
    "Sources",
]
GERMAN = [
    "Zusammenfassung für die Geschäftsleitung",
    "KI-Reifegrad",
    "Portfolio der Anwendungsfälle",
    "Teil A: Unternehmensanalyse",
    "Teil B: Anwendungsfälle im Detail",
    "Umsetzungsplan",
    "Quellenverzeichnis",
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def render(template: ReportTemplate, logo: Path | None = None) -> dict[str, bytes]:
    markdown, use_cases, submission = sample_report(N, paragraphs=2)
    return render_report(
        markdown,
        use_cases=use_cases,
        submission=submission,
        template=template,
        branding=Branding("Acme Advisory", logo),
    )


@pytest.fixture(scope="module")
def logo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("brand") / "logo.png"
    Image.new("RGB", (120, 40), (31, 78, 121)).save(path)
    return path


@pytest.fixture(scope="module")
def english(logo: Path) -> dict[str, bytes]:
    return render(load_template(), logo)


@pytest.fixture(scope="module")
def german() -> dict[str, bytes]:
    return render(builtin_template("de"))


def titles() -> list[str]:
    return [uc.title for uc in sample_report(N, paragraphs=1)[1]]


def pdf_text(pdf: bytes) -> tuple[int, str, list[tuple[int, str]]]:
    """Pages, all text with whitespace collapsed, and the bookmarks as (level, title)."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
        marks = [(item.level, item.get_title()) for item in document.get_toc()]
        return len(document), " ".join(text.split()), marks
    finally:
        document.close()


def style_of(paragraph: Paragraph) -> str:
    return paragraph.style.name if paragraph.style is not None and paragraph.style.name else ""


def docx_headings(data: bytes, level: int) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [p.text for p in document.paragraphs if style_of(p) == f"Heading {level}"]


def html_headings(data: bytes) -> list[str]:
    tree = HTMLParser(data.decode())
    return [node.text(strip=True) for node in tree.css("section > h2")]


def is_blank(image: Image.Image) -> bool:
    grey = image.convert("L")
    dark = sum(grey.histogram()[:200])  # pixels clearly darker than paper
    return dark < 0.002 * grey.width * grey.height


# -- PDF ------------------------------------------------------------------------------------


def test_pdf_pages_become_non_blank_images(english: dict[str, bytes], tmp_path: Path) -> None:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: apt-get install poppler-utils"
    (tmp_path / "report.pdf").write_bytes(english["pdf"])
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "report.pdf", "page"],
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    pages, _, _ = pdf_text(english["pdf"])
    images = sorted(tmp_path.glob("page-*.png"))
    assert pages >= 8 and len(images) == pages
    for path in images:
        with Image.open(path) as image:
            assert not is_blank(image), f"{path.name} is blank"
            assert image.width < image.height  # A4 portrait


def test_pdf_text_has_every_heading_use_case_and_source(english: dict[str, bytes]) -> None:
    _, text, marks = pdf_text(english["pdf"])
    for heading in ENGLISH:
        assert heading in text, heading
    for number, title in enumerate(titles(), start=1):
        assert f"{number}. {title}" in text, title
    # the sections are bookmarks, in the template's order, each use case under Part B
    level = min(lv for lv, t in marks if t == "Executive summary")
    assert [t for lv, t in marks if lv == level and t in ENGLISH] == ENGLISH
    assert [t for t in (t for _, t in marks) if re.match(r"\d+\. ", t)] == [
        f"{n}. {t}" for n, t in enumerate(titles(), start=1)
    ]
    assert "AI Readiness Report: Northwind Logistics" in text and "Acme Advisory" in text
    assert re.search(r"Page 1 of \d+", text)
    assert "annual-report-2025.pdf, p. " in text and "[1]" in text
    assert "58" in text and "Adopter" in text  # the gauge's text is real text


# -- Word -----------------------------------------------------------------------------------


def test_word_has_real_headings_table_lists_and_pictures(english: dict[str, bytes]) -> None:
    document = docx.Document(io.BytesIO(english["docx"]))
    assert docx_headings(english["docx"], 1) == ENGLISH
    level2 = docx_headings(english["docx"], 2)
    for number, title in enumerate(titles(), start=1):
        assert f"{number}. {title}" in level2
    assert any(h.startswith("Phase 1: 0-6 months (") for h in level2)  # with the phase's dates
    assert style_of(document.paragraphs[0]) == "Title"

    portfolio = next(t for t in document.tables if t.cell(0, 0).text == "#")
    assert len(portfolio.rows) == N + 1
    assert [c.text for c in portfolio.rows[0].cells] == [
        "#",
        "Use case",
        "Impact",
        "Effort",
        "Value",
        "Horizon",
    ]
    assert [portfolio.cell(i, 1).text for i in range(1, N + 1)] == titles()
    assert portfolio.rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # header row repeats on each page

    assert len(document.inline_shapes) == 3  # gauge, matrix, timeline
    captions = [p.text for p in document.paragraphs if style_of(p) == "Caption"]
    assert captions == [
        "AI readiness score and category",
        "Impact versus effort; bubble size shows value",
        "Phased roadmap",
    ]

    sources = _after(document, "Sources")
    assert len(sources) == 24 and all(style_of(p) == "List Number" for p in sources)
    assert sources[0].runs[0].bold and re.match(
        r".+\.(pdf|docx)(, p\. \d+)?$", sources[0].runs[0].text
    )
    num_ids = {p._p.xpath("string(./w:pPr/w:numPr/w:numId/@w:val)") for p in sources}
    assert len(num_ids) == 1  # one list
    num_id = num_ids.pop()
    starts = document.part.numbering_part.element.xpath(
        f'./w:num[@w:numId="{num_id}"]/w:lvlOverride/w:startOverride/@w:val'
    )
    assert starts == ["1"]  # the sources' own list, starting at 1 whatever lists came before

    bullets = [p for p in document.paragraphs if style_of(p) == "List Bullet"]
    assert any(r.bold and r.text == "Readiness score:" for p in bullets for r in p.runs)
    assert any(r.italic for p in bullets for r in p.runs)
    assert document.sections[0].header.paragraphs[0].runs[-1].text == "Acme Advisory"
    assert document.sections[0].header.part.rels  # the logo


def _after(document: WordDocument, heading: str) -> list[Paragraph]:
    paragraphs = list(document.paragraphs)
    start = next(
        i for i, p in enumerate(paragraphs) if style_of(p) == "Heading 1" and p.text == heading
    )
    return [p for p in paragraphs[start + 1 :] if p.text.strip()]


# -- HTML -----------------------------------------------------------------------------------


def test_html_is_self_contained(english: dict[str, bytes]) -> None:
    html = english["html"].decode()
    tree = HTMLParser(html)
    images = tree.css("img")
    assert len(images) == 4  # logo and three charts
    assert all((img.attributes.get("src") or "").startswith("data:image/") for img in images)
    assert all(img.attributes.get("alt") for img in images)
    assert not tree.css("script, link, iframe, object, embed")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//""", html)
    assert html_headings(english["html"]) == ENGLISH
    assert len(tree.css("ol.sources > li")) == 24 and tree.css_first("#source-1") is not None
    assert all((a.attributes.get("href") or "").startswith("#source-") for a in tree.css("a.cite"))
    assert "@page" in html


@pytest.mark.slow
def test_html_in_headless_chromium_shows_the_charts(
    english: dict[str, bytes], tmp_path: Path
) -> None:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip(
            "chromium is not installed: apt-get install chromium (CI installs it in .ci/run)"
        )
    page = tmp_path / "report.html"
    page.write_bytes(english["html"])
    flags = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]

    shot = tmp_path / "shot.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,3000", page.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
    )
    with Image.open(shot) as image:
        assert image.size == (1200, 3000)
        assert not is_blank(image)
        colours = cast(
            list[tuple[int, tuple[int, int, int]]], image.convert("RGB").getcolors(1 << 20)
        )
        accent = sum(
            n for n, (r, g, b) in colours if abs(r - 0xC5) < 12 and abs(g - 0x5A) < 12 and b < 40
        )
        assert accent > 500, (
            "no accent-coloured chart marks on screen"
        )  # gauge label, quick-win bubbles
        assert ImageStat.Stat(image.convert("L")).stddev[0] > 10

    # every image decoded by the browser, and laid out at a real size
    probe = tmp_path / "probe.html"
    probe.write_text(
        english["html"]
        .decode()
        .replace(
            "</body>",
            "<script>addEventListener('load', () => { document.title = JSON.stringify("
            "[...document.images].map(i => "
            "[i.complete, i.naturalWidth, Math.round(i.getBoundingClientRect().width)])); });"
            "</script></body>",
        )
    )
    dom = subprocess.run(
        [*flags, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"<title>(\[.*?\])</title>", dom)
    assert match, dom[:500]
    seen = json.loads(match.group(1).replace("&quot;", '"'))
    assert len(seen) == 4
    assert all(complete and natural > 0 and shown > 50 for complete, natural, shown in seen), seen


# -- a template in another language ----------------------------------------------------------


def test_german_template_changes_the_headings_in_every_format(german: dict[str, bytes]) -> None:
    assert html_headings(german["html"]) == GERMAN
    assert docx_headings(german["docx"], 1) == GERMAN
    _, text, _ = pdf_text(german["pdf"])
    html_text = HTMLParser(german["html"].decode()).body.text(separator=" ")  # type: ignore[union-attr]
    word_text = " ".join(p.text for p in docx.Document(io.BytesIO(german["docx"])).paragraphs)
    for rendered in (text, " ".join(html_text.split()), word_text):
        for heading in GERMAN:
            assert heading in rendered, heading
        for heading in ENGLISH:
            assert heading not in rendered, heading
        assert "KI-Reifegradbericht: Northwind Logistics" in rendered
    assert re.search(r"Seite 1 von \d+", text)
    assert '<html lang="de">' in german["html"].decode()
    table = next(
        t for t in docx.Document(io.BytesIO(german["docx"])).tables if t.cell(0, 0).text == "Nr."
    )
    assert [c.text for c in table.rows[0].cells] == [
        "Nr.",
        "Anwendungsfall",
        "Wirkung",
        "Aufwand",
        "Nutzen",
        "Zeitraum",
    ]
    assert "0–6\u00a0Monate" in word_text
    assert any(h.startswith("Phase 1: 0–6\u00a0Monate (") for h in docx_headings(german["docx"], 2))
