"""Verify: every citation must resolve to a real passage (file and page) in the index.

Valid citations become numbered sources, listed in a Sources section; the others are removed
and counted, so a report never points at a passage that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from casebook.documents.index import PassageIndex
from casebook.models import Evidence

# [S3], [S3, S7], [S3; S7] — and direct references such as [annual-report.pdf, p. 4]
_CITATION = re.compile(r"\[((?:S\d{1,4})(?:\s*[,;]\s*S\d{1,4})*)\]")
_FILE_REF = re.compile(r"\[([^\[\]\n]{1,200}?\.[A-Za-z0-9]{2,5}),\s*(?:p\.|page)\s*(\d{1,5})\]")


@dataclass(frozen=True)
class Source:
    number: int
    file: str
    page: int | None
    excerpt: str


@dataclass
class VerifiedReport:
    markdown: str
    citations_total: int = 0
    citations_valid: int = 0
    removed: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)


def verify_citations(markdown: str, evidence: Evidence, index: PassageIndex) -> VerifiedReport:
    result = VerifiedReport(markdown="")
    numbers: dict[tuple[str, int | None], int] = {}

    def number_for(file: str, page: int | None, text: str) -> int:
        key = (file, page)
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            result.sources.append(Source(numbers[key], file, page, _excerpt(text)))
        return numbers[key]

    def resolve_ids(match: re.Match[str]) -> str:
        kept: list[int] = []
        for source_id in re.findall(r"S\d{1,4}", match.group(1)):
            result.citations_total += 1
            passage = evidence.passage(source_id)
            if passage is None or index.chunk(passage.chunk_id) is None:
                result.removed.append(source_id)
                continue
            result.citations_valid += 1
            n = number_for(passage.file, passage.page, passage.text)
            if n not in kept:
                kept.append(n)
        return _render(kept)

    def resolve_file(match: re.Match[str]) -> str:
        file, page = match.group(1).strip(), int(match.group(2))
        result.citations_total += 1
        if not index.has_passage(file, page):
            result.removed.append(match.group(0))
            return ""
        result.citations_valid += 1
        text = next((c.text for c in index.iter_chunks(file) if c.page == page), "")
        return _render([number_for(file, page, text)])

    text = _CITATION.sub(resolve_ids, markdown)
    text = _FILE_REF.sub(resolve_file, text)
    text = re.sub(r"[ \t]+([.,;:])", r"\1", text)  # a removed citation leaves no gap before punctuation
    text = re.sub(r"(\S)[ \t]{2,}(\S)", r"\1 \2", text)
    result.markdown = text.rstrip() + "\n\n" + _sources_section(result.sources)
    return result


def _render(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"


def _sources_section(sources: list[Source]) -> str:
    lines = ["## Sources", ""]
    if not sources:
        lines.append("_No citation in this report could be resolved to a passage._")
    for s in sources:
        where = s.file + (f", p. {s.page}" if s.page else "")
        lines.append(f"{s.number}. {where} — “{s.excerpt}”")
    return "\n".join(lines) + "\n"
