"""The report as one self-contained HTML file: inline CSS, charts and logo as data: URIs.

Markdown goes through markdown-it-py (CommonMark plus tables) with raw HTML off, so text a
model wrote can never inject markup or scripts; images other than data: URIs are dropped
(their alt text stays), so opening or printing the report never fetches anything.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from casebook.render.charts import Chart
from casebook.render.document import Block, ReportDocument, source_where
from casebook.render.pdf import font_faces_css
from casebook.render.template import ReportTemplate

_CITE = re.compile(r"\[(\d{1,4})\]")
_CITE_GROUP = re.compile(r"(?:\[\d{1,4}\])+")
_USE_CASE = re.compile(r"^(\d{1,3})\.\s+(.+)$")
_PART_B_HEADING = re.compile(r"^### (\d{1,3})\.\s+(.+?)\s*$", re.MULTILINE)
PAGE_START = {"part_a", "part_b", "sources"}  # sections that open a new page in print
CHART_FIRST = {"gauge", "timeline"}  # shown above the section's text; the matrix below its table


def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.add_render_rule("text", _render_text)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("heading_open", _render_heading_open)
    return md


def render_html(
    doc: ReportDocument,
    charts: dict[str, Chart],
    template: ReportTemplate,
    *,
    company: str,
    primary: str,
    accent: str,
    logo: tuple[bytes, str] | None = None,
    for_pdf: bool = False,
) -> str:
    """The report's HTML; `for_pdf`: with the PDF's pinned fonts and text-as-text charts."""
    md = markdown_parser()
    env: dict[str, Any] = {
        "sources": {s.number for s in doc.sources},
        "template": template,
        "for_pdf": for_pdf,
    }
    parts = [_cover(doc, template, company, logo, md, env), _toc(doc, template)]
    for block in doc.blocks:
        env["section"] = block.id
        parts.append(_section(block, charts.get(block.chart or ""), md, env, for_pdf))
    css = (
        _stylesheet()
        + f"\n:root {{ --primary: {primary}; --accent: {accent}; }}\n"
        + "@page { @bottom-right { content: "
        + f"{_css_string(template.label('page'))} ' ' counter(page) ' ' "
        + f"{_css_string(template.label('page_of'))} ' ' counter(pages); }} }}\n"
        + (font_faces_css() if for_pdf else "")
    )
    title = html.escape(doc.title)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(doc.language)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f'<meta name="author" content="{html.escape(company)}">\n'
        '<meta name="generator" content="casebook">\n'
        f"<style>\n{css}</style>\n</head>\n<body>\n" + "\n".join(parts) + "\n</body>\n</html>\n"
    )


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def figure_html(chart: Chart, *, text_svg: bool = False) -> str:
    svg = chart.svg_text if text_svg else chart.svg
    assert svg is not None, "HTML needs the SVG of each chart"
    return (
        f'<figure class="chart chart-{chart.key}">'
        f'<img src="{data_uri(svg, "image/svg+xml")}" alt="{html.escape(chart.alt)}" '
        f'style="width: {chart.width_in:g}in">'
        f"<figcaption>{html.escape(chart.caption)}</figcaption></figure>"
    )


@cache
def _stylesheet() -> str:
    return resources.files("casebook.templates").joinpath("report.css").read_text("utf-8")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _cover(
    doc: ReportDocument,
    template: ReportTemplate,
    company: str,
    logo: tuple[bytes, str] | None,
    md: MarkdownIt,
    env: dict[str, Any],
) -> str:
    logo_html = (
        f'<img src="{data_uri(*logo)}" alt="{html.escape(company)}">' if logo is not None else ""
    )
    subtitle = (
        f'<p class="subtitle">{md.renderInline(doc.subtitle, env)}</p>' if doc.subtitle else ""
    )
    return (
        '<header class="cover"><div class="brand">'
        f"<span>{html.escape(company)}</span>{logo_html}</div>"
        f"<h1>{html.escape(doc.title)}</h1>{subtitle}</header>"
    )


def _toc(doc: ReportDocument, template: ReportTemplate) -> str:
    items = []
    for block in doc.blocks:
        nested = ""
        if block.id == "part_b":
            cases = _PART_B_HEADING.findall(block.body)
            nested = (
                "<ol>"
                + "".join(
                    f'<li><a href="#use-case-{n}">{n}. {html.escape(t)}</a></li>' for n, t in cases
                )
                + "</ol>"
                if cases
                else ""
            )
        items.append(f'<li><a href="#{block.anchor}">{html.escape(block.heading)}</a>{nested}</li>')
    return (
        f'<nav class="toc"><h2>{html.escape(template.label("contents"))}</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def _section(
    block: Block, chart: Chart | None, md: MarkdownIt, env: dict[str, Any], for_pdf: bool
) -> str:
    classes = ' class="page-start"' if block.id in PAGE_START else ""
    body = _sources_html(block, env["template"]) if block.sources else md.render(block.body, env)
    if chart is not None:
        figure = figure_html(chart, text_svg=for_pdf)
        body = figure + body if chart.key in CHART_FIRST else body + figure
    heading = f"<h2>{html.escape(block.heading)}</h2>"
    return f'<section id="{block.anchor}"{classes}>\n{heading}\n{body}</section>'


def _sources_html(block: Block, template: ReportTemplate) -> str:
    items = "".join(
        f'<li id="source-{s.number}" value="{s.number}">'
        f'<span class="where">{html.escape(source_where(s, template))}</span> — '
        f'<span class="excerpt">“{html.escape(s.excerpt)}”</span></li>'
        for s in block.sources
    )
    return f'<ol class="sources">{items}</ol>\n'


# -- markdown-it render rules -------------------------------------------------------------


def _render_text(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Text, with each citation [n] a link to source n; in the PDF a run such as [2][8] is one
    link (to its first source): every inline element costs WeasyPrint layout time."""
    text = html.escape(tokens[idx].content, quote=False)
    known = env.get("sources") or set()

    def link(match: re.Match[str]) -> str:
        numbers = [int(n) for n in _CITE.findall(match.group(0))]
        if env.get("for_pdf") and all(n in known for n in numbers):
            return f'<a class="cite" href="#source-{numbers[0]}">{match.group(0)}</a>'
        return "".join(
            f'<a class="cite" href="#source-{n}">[{n}]</a>' if n in known else f"[{n}]"
            for n in numbers
        )

    return _CITE_GROUP.sub(link, text)


def _render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = html.escape(self.renderInlineAsText(token.children or [], options, env))
    if not src.startswith("data:image/"):
        return alt  # never fetch: a self-contained report shows the alt text instead
    return f'<img src="{html.escape(src)}" alt="{alt}">'


def _render_heading_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    if env.get("section") == "part_b" and token.tag == "h3" and inline is not None:
        match = _USE_CASE.match(inline.content)
        if match:
            token.attrSet("id", f"use-case-{match.group(1)}")
    return self.renderToken(tokens, idx, options, env)
