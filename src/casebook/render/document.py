"""From the canonical Markdown report to the sections a template asks for.

The report is split at its `## ` headings (outside code blocks); each heading the pipeline
writes (see steps/consolidate.py and steps/verify.py) is matched to a section id, then the
sections are retitled and put in the template's order. The sections that are pure data — the
readiness facts, the portfolio table and the roadmap — are written again from the use cases and
the submission with the template's labels, so a German template gets German table headers.
A `## ` section the mapping does not know is kept, right after the section it followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from casebook.models import Submission, UseCase
from casebook.render.template import ReportTemplate, load_template
from casebook.roadmap import HORIZONS, roadmap_lines

# Headings the pipeline writes, normalised (see _key), by section id.
_DEFAULT_IDS = {
    "executive summary": "executive_summary",
    "ai readiness": "readiness",
    "use case portfolio": "portfolio",
    "part a: company analysis": "part_a",
    "part b: use cases in depth": "part_b",
    "roadmap": "roadmap",
    "sources": "sources",
}
_PREFIX_IDS = (("part a", "part_a"), ("part b", "part_b"))
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SUBTITLE = re.compile(r"^_Run (?P<run>\S+) · (?P<date>\d{4}-\d{2}-\d{2}) · (?P<n>\d+) use cases_$")
_SOURCE = re.compile(r"^(?P<n>\d{1,4})\.\s+(?P<where>.+?)\s+—\s+“(?P<excerpt>.*)”\s*$")
_PAGE = re.compile(r"^(?P<file>.+), p\. (?P<page>\d{1,5})$")
# "- 1. Title" is a bullet whose text starts with a number, not a bullet holding an ordered list.
_BULLET_NUMBER = re.compile(r"^(\s*[-*+]\s+)(\d{1,9})([.)])(?=\s)", re.MULTILINE)
_FACT_LINE = re.compile(r"^- \*\*[^*\n]{1,60}:\*\* .*\n?", re.MULTILINE)
CHARTS = {"readiness": "gauge", "portfolio": "matrix", "roadmap": "timeline"}


@dataclass(frozen=True)
class SourceEntry:
    number: int
    file: str
    page: int | None
    excerpt: str


@dataclass
class Block:
    """One `## ` section as it will be rendered."""

    id: str | None  # None: a section the template does not know, kept as written
    heading: str
    body: str  # Markdown, headings at level 3 and below
    chart: str | None = None
    sources: list[SourceEntry] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return self.id or "section-" + re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")


@dataclass
class ReportDocument:
    title: str
    subtitle: str  # Markdown (one line), may be empty
    blocks: list[Block]
    company: str
    language: str

    def block(self, section_id: str) -> Block | None:
        return next((b for b in self.blocks if b.id == section_id), None)

    @property
    def sources(self) -> list[SourceEntry]:
        block = self.block("sources")
        return block.sources if block else []


def build_document(
    markdown: str, *, use_cases: list[UseCase], submission: Submission, template: ReportTemplate
) -> ReportDocument:
    preamble, parsed = split_sections(markdown)
    created = _run_date(preamble)
    known = {h.lower(): i for h, i in _DEFAULT_IDS.items()}
    known.update({_key(s.heading): s.id for s in template.sections})
    found: dict[str, Block] = {}
    extras: dict[str | None, list[Block]] = {}
    previous: str | None = None
    for heading, body in parsed:
        section_id = _section_id(heading, known)
        if section_id is None or section_id in found:
            extras.setdefault(previous, []).append(Block(None, heading, _escape_bullets(body)))
            continue
        found[section_id] = Block(section_id, heading, _escape_bullets(body))
        previous = section_id
    blocks = list(extras.pop(None, []))
    for spec in template.sections:
        block = _data_block(spec.id, found.get(spec.id), use_cases, submission, template, created)
        if block is None:
            continue
        block.heading = spec.heading
        blocks.append(block)
        blocks.extend(extras.pop(spec.id, []))
    orphans = [
        b for group in extras.values() for b in group
    ]  # followed a section the template drops
    at = next((i for i, b in enumerate(blocks) if b.id == "sources"), len(blocks))
    blocks[at:at] = orphans
    title, subtitle = _preamble(preamble, submission, template)
    return ReportDocument(title, subtitle, blocks, submission.company_name, template.language)


def split_sections(markdown: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The lines before the first `## ` heading, and (heading, body) for each `## ` section."""
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    fence: str | None = None
    for line in markdown.splitlines():
        match = _FENCE.match(line)
        if match and (fence is None or match.group(1)[0] == fence[0]):
            fence = None if fence else match.group(1)
        if fence is None and line.startswith("## "):
            sections.append((line[3:].strip().rstrip("#").strip(), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return preamble, [(h, "\n".join(body).strip()) for h, body in sections]


def _key(heading: str) -> str:
    return " ".join(heading.replace("*", "").split()).lower()


def _section_id(heading: str, known: dict[str, str]) -> str | None:
    key = _key(heading)
    if key in known:
        return known[key]
    return next((i for prefix, i in _PREFIX_IDS if key.startswith(prefix + ":")), None)


def _escape_bullets(body: str) -> str:
    return _BULLET_NUMBER.sub(r"\1\2\\\3", body)


def _run_date(lines: list[str]) -> date | None:
    """The run's date from the report's subtitle (`_Run … · 2026-12-03 · 7 use cases_`)."""
    match = _SUBTITLE.match(" ".join(line.strip() for line in lines if line.strip() and not line.startswith("# ")))
    return date.fromisoformat(match["date"]) if match else None


def _preamble(
    lines: list[str], submission: Submission, template: ReportTemplate
) -> tuple[str, str]:
    title = template.label("title", company=submission.company_name)
    rest = [line.strip() for line in lines if line.strip() and not line.startswith("# ")]
    subtitle = " ".join(rest)
    match = _SUBTITLE.match(subtitle)
    if match:
        subtitle = (
            f"_{template.label('run')} {match['run']} · {match['date']} · "
            f"{match['n']} {template.label('use_cases')}_"
        )
    return title, subtitle


def _data_block(
    section_id: str,
    found: Block | None,
    use_cases: list[UseCase],
    submission: Submission,
    template: ReportTemplate,
    created: date | None = None,
) -> Block | None:
    if section_id == "readiness":
        block = Block(section_id, "", readiness_markdown(submission, template), chart="gauge")
        rest = _FACT_LINE.sub("", found.body).strip() if found is not None else ""
        if rest:  # something beyond the facts written again above: keep it
            block.body += "\n\n" + rest
        return block
    if section_id == "portfolio" and use_cases:
        return Block(section_id, "", portfolio_markdown(use_cases, template), chart=CHARTS[section_id])
    if section_id == "roadmap" and use_cases:
        body = roadmap_markdown(use_cases, template, created, submission.report_expectations)
        return Block(section_id, "", body, chart=CHARTS[section_id])
    if found is None:
        return None
    if section_id == "sources":
        found.sources = parse_sources(found.body)
    return found


def readiness_markdown(submission: Submission, template: ReportTemplate) -> str:
    label = template.label
    score = (
        f"{submission.readiness_score:g}/100" if submission.readiness_score is not None else None
    )
    lines = [
        f"- **{label('readiness_score')}:** {score or label('not_given')}",
        f"- **{label('category')}:** {submission.readiness_category or label('not_given')}",
    ]
    if submission.report_expectations:
        expectations = " ".join(submission.report_expectations.split())
        lines.append(f"- **{label('report_expectations')}:** {expectations}")
    return "\n".join(lines)


def portfolio_markdown(use_cases: list[UseCase], template: ReportTemplate) -> str:
    label = template.label
    head = [label(k) for k in ("number", "use_case", "impact", "effort", "value", "horizon")]
    rows = [
        "| " + " | ".join(h.replace("|", "/") for h in head) + " |",
        "|---|---|---|---|---|---|",
    ]
    for i, uc in enumerate(use_cases, start=1):
        title = uc.title.replace("|", "/")
        horizon = template.horizon(uc.horizon)
        rows.append(f"| {i} | {title} | {uc.impact}/5 | {uc.effort}/5 | {uc.value}/5 | {horizon} |")
    return "\n".join(rows)


def roadmap_markdown(
    use_cases: list[UseCase],
    template: ReportTemplate,
    created: date | None = None,
    expectations: str = "",
) -> str:
    """The phases with their dates and the notes on the client's timing (casebook.roadmap)."""
    label = template.label
    lines = roadmap_lines(
        use_cases,
        created or datetime.now(UTC).date(),
        expectations,
        phase_label=label("phase"),
        value_label=label("value"),
        effort_label=label("effort"),
        horizon_name={h: template.horizon(h) for h in HORIZONS},
        escape_numbers=True,
    )
    return "\n".join(lines).strip()


def parse_sources(body: str) -> list[SourceEntry]:
    """The numbered list verify.py writes; empty when the body is anything else."""
    entries: list[SourceEntry] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        match = _SOURCE.match(line.strip())
        if match is None:
            return []
        where = _PAGE.match(match["where"])
        file, page = (where["file"], int(where["page"])) if where else (match["where"], None)
        entries.append(SourceEntry(int(match["n"]), file, page, match["excerpt"]))
    return entries


def source_where(entry: SourceEntry, template: ReportTemplate | None = None) -> str:
    page_label = (template or load_template()).label("source_page")
    return entry.file + (f", {page_label} {entry.page}" if entry.page is not None else "")
