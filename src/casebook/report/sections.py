"""Where a section of the report is: the lines of `## Executive summary`, `## Part A: …`, or one
use case's `### N. Title` inside Part B, found by markdown-it's headings (so a `#` inside a code
block is not one). The section keys are those `casebook.report.check` reports."""

from __future__ import annotations

import re

from casebook.render.template import ReportTemplate, load_template
from casebook.report.normalise import markdown_parser

_USE_CASE = re.compile(r"^(\d{1,3})\.\s")


def _ids(template: ReportTemplate | None) -> dict[str, str]:
    ids = {_key(s.heading): s.id for s in load_template().sections}
    if template is not None:
        ids.update({_key(s.heading): s.id for s in template.sections})
    return ids


def _key(text: str) -> str:
    return " ".join(text.replace("*", "").split()).casefold()


def section_span(markdown: str, section: str, template: ReportTemplate | None = None) -> tuple[int, int] | None:
    """(first, end) line numbers of the section's body (below its heading), or None if the report
    has no such section. `section`: a section id (executive_summary, part_a …) or part_b:N."""
    ids = _ids(template)
    lines = markdown.splitlines()
    tokens = markdown_parser().parse(markdown)
    headings = [
        (int(t.tag[1]), tokens[i + 1].content.strip(), t.map[0], t.map[1])
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.map is not None
    ]
    want_part, _, number = section.partition(":")
    part = None
    for n, (level, text, _start, end) in enumerate(headings):
        if level == 2:
            part = ids.get(_key(text), _key(text))
        if level == 2 and not number and part == want_part:
            stop = next((h[2] for h in headings[n + 1 :] if h[0] <= 2), len(lines))
            return end, stop
        match = _USE_CASE.match(text)
        if level == 3 and number and part == want_part and match and match.group(1) == number:
            stop = next((h[2] for h in headings[n + 1 :] if h[0] <= 3), len(lines))
            return end, stop
    return None


def section_text(markdown: str, section: str, template: ReportTemplate | None = None) -> str | None:
    span = section_span(markdown, section, template)
    if span is None:
        return None
    return "\n".join(markdown.splitlines()[span[0] : span[1]]).strip()


def replace_section(markdown: str, section: str, body: str, template: ReportTemplate | None = None) -> str:
    """The report with the section's body (below its heading) replaced; unchanged if it has none."""
    span = section_span(markdown, section, template)
    if span is None:
        return markdown
    lines = markdown.splitlines()
    new = [*lines[: span[0]], "", *body.strip().splitlines(), "", *lines[span[1] :]]
    return "\n".join(new).rstrip() + "\n"
