"""From the pipeline's Markdown to the template's sections, the charts, and safe HTML."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import matplotlib
import pytest
from matplotlib import font_manager

from casebook.errors import ConfigError
from casebook.models import Submission, UseCase
from casebook.render import Branding, builtin_template, load_template, render_report
from casebook.render.charts import make_charts
from casebook.render.document import build_document, split_sections
from casebook.render.html import render_html
from casebook.render.template import SECTION_IDS
from casebook.steps.consolidate import portfolio_table
from casebook.testing.sample_report import sample_report


def test_every_section_the_pipeline_writes_maps_to_its_id() -> None:
    markdown, use_cases, submission = sample_report(7, paragraphs=1)
    doc = build_document(
        markdown, use_cases=use_cases, submission=submission, template=load_template()
    )
    assert [b.id for b in doc.blocks] == list(SECTION_IDS)
    assert doc.title == "AI Readiness Report: Northwind Logistics"
    assert doc.subtitle == "_Run 20260101-090000-abc123 · 2026-01-01 · 7 use cases_"
    assert len(doc.sources) == 24 and doc.sources[0].number == 1
    assert doc.sources[0].file.endswith((".pdf", ".docx"))
    part_b = doc.block("part_b")
    assert part_b is not None and len(re.findall(r"^### \d+\. ", part_b.body, re.M)) == 7


def test_the_portfolio_written_again_is_the_pipelines_table() -> None:
    markdown, use_cases, submission = sample_report(5, paragraphs=1)
    doc = build_document(
        markdown, use_cases=use_cases, submission=submission, template=load_template()
    )
    portfolio = doc.block("portfolio")
    assert portfolio is not None and portfolio.body == "\n".join(portfolio_table(use_cases))
    assert portfolio.body in markdown


def test_a_template_reorders_retitles_and_drops_sections(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text(
        '[[sections]]\nid = "roadmap"\nheading = "Next steps"\n'
        '[[sections]]\nid = "executive_summary"\nheading = "In brief"\n'
        '[[sections]]\nid = "sources"\nheading = "References"\n'
    )
    markdown, use_cases, submission = sample_report(3, paragraphs=1)
    markdown = markdown.replace("## Roadmap", "## Appendix: glossary\n\nA term.\n\n## Roadmap")
    doc = build_document(
        markdown, use_cases=use_cases, submission=submission, template=load_template(path)
    )
    assert [(b.id, b.heading) for b in doc.blocks] == [
        ("roadmap", "Next steps"),
        ("executive_summary", "In brief"),
        (
            None,
            "Appendix: glossary",
        ),  # followed Part B, which this template drops: kept before the sources
        ("sources", "References"),
    ]


def test_unknown_sections_stay_after_the_section_they_followed_and_code_is_not_split() -> None:
    markdown, use_cases, submission = sample_report(2, paragraphs=1)
    extra = "## Method\n\nHow we worked.\n\n```\n## not a heading\n```\n\n"
    markdown = markdown.replace("## AI readiness", extra + "## AI readiness")
    doc = build_document(
        markdown, use_cases=use_cases, submission=submission, template=load_template()
    )
    assert [b.id for b in doc.blocks][:3] == ["executive_summary", None, "readiness"]
    assert "## not a heading" in doc.blocks[1].body
    _, sections = split_sections(markdown)
    assert "not a heading" not in [h for h, _ in sections]


def test_a_report_with_other_headings_is_matched_loosely() -> None:
    markdown, use_cases, submission = sample_report(2, paragraphs=1)
    markdown = markdown.replace("## Part A: Company analysis", "## **Part A:  company  analysis**")
    markdown = markdown.replace("## Part B: Use cases in depth", "## Part B: The use cases")
    doc = build_document(
        markdown, use_cases=use_cases, submission=submission, template=load_template()
    )
    assert [b.id for b in doc.blocks] == list(SECTION_IDS)


def test_roadmap_bullets_stay_bullets_not_nested_numbered_lists() -> None:
    markdown, use_cases, submission = sample_report(4, paragraphs=1)
    html = _html(markdown, use_cases, submission)
    roadmap = html.split('id="roadmap"', 1)[1].split("</section>", 1)[0]
    assert "<ol" not in roadmap and roadmap.count("<li>") == 4
    assert re.search(r"<li>\d\. Automated invoice matching", roadmap)


def test_model_text_cannot_inject_markup_or_fetch_anything() -> None:
    markdown, use_cases, submission = sample_report(2, paragraphs=1)
    markdown = markdown.replace(
        "### Key findings",
        "### Key findings\n\n<script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "![tracking pixel](https://example.com/pixel.png) [a link](https://example.com/page)\n",
        1,
    )
    html = _html(markdown, use_cases, submission)
    assert "<script" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    assert "example.com/pixel.png" not in html and "tracking pixel" in html
    assert '<a href="https://example.com/page">a link</a>' in html
    pdf = render_report(
        markdown,
        use_cases=use_cases,
        submission=submission,
        template=load_template(),
        branding=Branding(),
        formats=("pdf",),
    )["pdf"]
    assert pdf.startswith(b"%PDF")


def test_citations_link_to_their_sources_only_when_the_source_exists() -> None:
    markdown, use_cases, submission = sample_report(2, paragraphs=1)
    assert "### Key findings" in markdown
    markdown = markdown.replace("### Key findings", "### Key findings\n\nIn [2024] we grew [1][99].\n", 1)
    html = _html(markdown, use_cases, submission)
    assert 'In [2024] we grew <a class="cite" href="#source-1">[1]</a>[99].' in html
    assert '<li id="source-1" value="1">' in html


def test_charts_use_matplotlibs_dejavu_and_serialise_the_same_every_time() -> None:
    _, use_cases, submission = sample_report(7, paragraphs=1)
    template = builtin_template("de")
    first = make_charts(use_cases, submission, template, "#1f4e79", "#c55a11")
    again = make_charts(use_cases, submission, template, "#1f4e79", "#c55a11")
    assert list(first) == ["gauge", "matrix", "timeline"]
    for key, chart in first.items():
        assert chart.svg == again[key].svg and chart.svg_text == again[key].svg_text
        assert chart.png is not None and chart.png.startswith(b"\x89PNG")
        assert chart.svg is not None and b"<text" not in chart.svg  # text as paths: no font needed
        assert chart.svg_text is not None and b"DejaVu Sans" in chart.svg_text
    assert "Aufwand" in first["matrix"].alt and "Adopter" in first["gauge"].alt
    font = font_manager.findfont("DejaVu Sans", fallback_to_default=False)
    assert Path(font).is_relative_to(matplotlib.get_data_path())


def test_no_use_cases_means_only_the_gauge() -> None:
    markdown, _, submission = sample_report(1, paragraphs=1)
    charts = make_charts([], submission, load_template(), "#1f4e79", "#c55a11")
    assert list(charts) == ["gauge"]
    out = render_report(
        markdown,
        use_cases=[],
        submission=submission,
        template=load_template(),
        branding=Branding(),
        formats=("html",),
    )
    assert b"chart-gauge" in out["html"] and b"chart-matrix" not in out["html"]


def test_branding_is_checked_and_used(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="primary colour"):
        Branding(primary="blue")
    with pytest.raises(ConfigError, match="cannot read"):
        Branding(logo=tmp_path / "missing.png").logo_data()
    with pytest.raises(ConfigError, match="use a PNG"):
        Branding(logo=tmp_path / "logo.tiff").logo_data()
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    markdown, use_cases, submission = sample_report(1, paragraphs=1)
    html = render_report(
        markdown,
        use_cases=use_cases,
        submission=submission,
        template=load_template(),
        branding=Branding("Acme Advisory", logo, "#112233", "#aa5500"),
        formats=("html",),
    )["html"].decode()
    assert '<img src="data:image/svg+xml;base64,' in html and "Acme Advisory" in html
    assert "--primary: #112233; --accent: #aa5500;" in html
    with pytest.raises(ConfigError, match="unknown report format 'odt'"):
        render_report(
            markdown,
            use_cases=use_cases,
            submission=submission,
            template=load_template(),
            branding=Branding(),
            formats=("odt",),
        )


def _html(markdown: str, use_cases: list[UseCase], submission: Submission) -> str:
    template = load_template()
    doc = build_document(markdown, use_cases=use_cases, submission=submission, template=template)
    charts = make_charts(
        use_cases, submission, template, "#1f4e79", "#c55a11", png=False, svg_text=False
    )
    return render_html(
        doc, charts, template, company="casebook", primary="#1f4e79", accent="#c55a11"
    )


def test_a_report_without_resolvable_sources_still_renders() -> None:
    markdown, use_cases, submission = sample_report(2, paragraphs=1)
    head = markdown.split("## Sources")[0]
    markdown = head + "## Sources\n\n_No citation in this report could be resolved to a passage._\n"
    out = render_report(
        markdown,
        use_cases=use_cases,
        submission=submission,
        template=load_template(),
        branding=Branding(),
        formats=("html", "docx"),
    )
    assert b"<em>No citation in this report could be resolved" in out["html"]
    assert b'class="cite"' not in out["html"]  # nothing to link to
    document = docx.Document(io.BytesIO(out["docx"]))
    assert document.paragraphs[-1].text.startswith("No citation in this report")
