"""`check_report`: what a reader of a finished report would notice, as a list of findings.

Each finding names its kind, where it is (a section id: `executive_summary`, `part_a`,
`part_b:3` for the third use case's section, `use_case:3`, `citations` …), a message a person
can act on, and an excerpt. Kinds:

- `empty_section`        a heading with nothing under it before the next heading at its level or above
- `repeated_paragraph`   a paragraph (or long list item) said before, word for word or nearly
- `cut_sentence`         prose that stops mid-sentence (no closing punctuation, or ends on "and", "the", a comma)
- `heading_paragraph`    a heading that is really a sentence or a paragraph
- `duplicate_use_case`   two use cases with the same technique and a similar problem, or similar titles/problems
- `non_ai_use_case`      a use case that names no AI technique
- `no_citations`         the report cites none of the company's documents
- `unsupported_citations` fewer of its citations are supported by their passages than the threshold

The check reads the Markdown with markdown-it (CommonMark and tables), so tables, code and the
structure of lists are seen as such. It is deterministic and cheap: `finalize` runs it on every
report and `casebook check RUN` runs it again. Text the pipeline writes itself (a use case's
lead, the pipeline's Recommendations: `casebook.report.written`) is not model prose: it is
neither flagged nor compared with the model's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from casebook.models import Finding, UseCase
from casebook.render.template import ReportTemplate, load_template
from casebook.report.normalise import markdown_parser, reads_as_paragraph
from casebook.report.written import pipeline_texts, plain

# Paragraphs this similar (3-word shingles, Jaccard) count as repeated: within one section from
# REPEAT_MIN_WORDS words (a model going round in circles), across sections only whole paragraphs
# (a report may restate a key fact, cited, in the summary and in a use case; it should not copy
# a paragraph). Use cases this similar in title or problem (content words, Jaccard) are duplicates.
REPEAT_SIMILARITY = 0.8
REPEAT_MIN_WORDS = 8
REPEAT_ACROSS_MIN_WORDS = 25
TITLE_SIMILARITY = 0.6
PROBLEM_SIMILARITY = 0.6
SAME_TECHNIQUE_PROBLEM_SIMILARITY = 0.4
CUT_MIN_WORDS = 6
_CITATIONS = re.compile(r"\s*(?:\[(?:S\d+|\d{1,4})\])+")
_CLOSING = ".!?:…"
_LABEL = re.compile(r"^(?:\*\*|__)?[^\W\d][^:.!?]{0,40}:")  # "Data quality: …", "**Cycle time:** …": a labelled line
_TRAILING = " \t*_)]}\"'”’»"
_DANGLING = {
    "a", "an", "and", "as", "at", "by", "from", "into", "of", "or", "the", "to", "with", "which",
    "than", "their", "its", "our", "such", "including", "because", "while", "whose",
}  # fmt: skip
_STOP = _DANGLING | {"ai", "based", "using", "use", "case", "system", "new", "improve", "improved", "improving"}
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
# Words that name an AI technique (English; a use case with a `technique` field is judged by it).
_AI_WORDS = re.compile(
    r"\b(?:ai|a\.i\.|artificial intelligence|machine learning|ml|deep learning|neural|llm|large language|"
    r"language model|gpt|generative|nlp|natural language|computer vision|vision model|image recognition|ocr|"
    r"predict\w*|forecast\w*|classif\w*|cluster\w*|anomal\w*|detect\w*|recommend\w*|optimi[sz]\w*|"
    r"chatbot\w*|assistant\w*|agent\w*|conversational|retrieval|semantic search|document understanding|"
    r"extract\w*|summari[sz]\w*|speech|transcri\w*|scoring model|model|automat\w*|intelligen\w*|smart|triage|"
    r"routing|scheduling|matching)\b",
    re.IGNORECASE,
)


@dataclass
class _Text:
    section: str
    kind: str  # paragraph, item (a list item's paragraph), cell
    text: str


@dataclass
class _Event:
    section: str
    level: int  # a heading's level; 0 for content
    text: str = ""


@dataclass
class _Scan:
    texts: list[_Text] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)  # headings and content, in order


def check_report(
    markdown: str,
    *,
    use_cases: Iterable[UseCase] = (),
    citations: Mapping[str, Any] | None = None,
    min_supported: float = 0.8,
    template: ReportTemplate | None = None,
) -> list[Finding]:
    """The findings in a report, in reading order (use cases and citations last).

    `citations` is the run's verification summary (`Manifest.citations()`); `min_supported`
    the share below which its citations count as unsupported (0: not checked).
    """
    use_cases = list(use_cases)
    scan = _scan(markdown, template or load_template(), pipeline_texts(use_cases))
    findings = _empty_sections(scan) + _headings(scan) + _cut(scan) + _repeats(scan)
    findings += use_case_findings(use_cases)
    findings += citation_findings(citations, min_supported)
    return findings


# --------------------------------------------------------------------------- reading


def _section_ids(template: ReportTemplate) -> dict[str, str]:
    ids = {_key(s.heading): s.id for s in load_template().sections}
    ids.update({_key(s.heading): s.id for s in template.sections})
    return ids


def _key(text: str) -> str:
    return " ".join(text.replace("*", "").split()).casefold()


_USE_CASE_HEADING = re.compile(r"^(\d{1,3})\.\s")
_CONTAINERS = {"bullet_list", "ordered_list", "table", "blockquote"}


def _scan(markdown: str, template: ReportTemplate, written: dict[str, set[str]] | None = None) -> _Scan:
    """The report's headings and texts by section. `written`: per section, the text the pipeline
    writes itself (`casebook.report.written`); it is no model's prose, so it is not scanned."""
    written = written or {}
    ids = _section_ids(template)
    tokens = markdown_parser().parse(markdown)
    scan = _Scan()
    section = part = "preamble"  # part: the `##` section; section: it, or one Part B use case
    open_containers: list[str] = []
    for i, token in enumerate(tokens):
        name = token.type.removesuffix("_open").removesuffix("_close")
        if name in _CONTAINERS:
            if token.nesting == 1:
                open_containers.append(name)
            else:
                open_containers.pop()
        if token.type == "heading_open":
            text = tokens[i + 1].content.strip()
            level = int(token.tag[1])
            if level <= 2:
                part = section = ids.get(_key(text), _key(text)) if level == 2 else "title"
            elif level == 3 and part == "part_b" and (m := _USE_CASE_HEADING.match(text)):
                section = f"part_b:{m.group(1)}"
            scan.events.append(_Event(section, level, text))
        elif token.level == 0 and token.nesting != -1 and token.type != "heading_close":
            scan.events.append(_Event(section, 0))
        if token.type == "inline" and plain(token.content) in written.get(section, ()):
            continue
        if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            listed = any(c.endswith("list") for c in open_containers)
            scan.texts.append(_Text(section, "item" if listed else "paragraph", token.content))
        elif token.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            scan.texts.append(_Text(section, "cell", token.content))
    return scan


# --------------------------------------------------------------------------- report findings


def _empty_sections(scan: _Scan) -> list[Finding]:
    """A heading with no content before the next heading at its level or above (a heading
    whose subsections are all empty is left to them)."""
    found = []
    events = scan.events
    for i, event in enumerate(events):
        if event.level < 2:
            continue
        nxt = events[i + 1] if i + 1 < len(events) else None
        span = [] if nxt is None or 0 < nxt.level <= event.level else [nxt]
        if span:
            continue
        found.append(
            Finding(
                kind="empty_section",
                section=event.section,
                message=f"the heading \u201c{event.text}\u201d has nothing under it",
                excerpt=event.text,
            )
        )
    return found


def _headings(scan: _Scan) -> list[Finding]:
    return [
        Finding(
            kind="heading_paragraph",
            section=e.section,
            message="a heading that reads as a sentence or a paragraph; it belongs in the text",
            excerpt=_excerpt(e.text),
        )
        for e in scan.events
        if e.level >= 2 and reads_as_paragraph(e.text)
    ]


def is_cut(text: str, *, item: bool = False) -> bool:
    """Prose that stops mid-sentence. A paragraph must end in closing punctuation (its citations
    and emphasis aside); a list item may end without a full stop, but not on a comma, an open
    bracket or a word such as "and" or "the"."""
    flat = _CITATIONS.sub("", " ".join(text.split()))
    plain = flat.rstrip(_TRAILING)
    words = _WORD.findall(plain)
    if not words or _emphasis_only(text):
        return False
    if flat.count("(") > flat.count(")"):
        return True
    if plain.endswith((",", ";", "-", "–", "—", "(", "/", "&", "+")):
        return True
    if words[-1].casefold() in _DANGLING and not plain.endswith(tuple(_CLOSING)):
        return True
    prose = not item and not _LABEL.match(flat)
    return prose and len(words) >= CUT_MIN_WORDS and not plain.endswith(tuple(_CLOSING))


def _emphasis_only(text: str) -> bool:
    t = text.strip()
    return len(t) > 2 and t[0] in "*_" and t[-1] in "*_" and t.count(t[0]) >= 2 and "\n" not in t


def _cut(scan: _Scan) -> list[Finding]:
    return [
        Finding(
            kind="cut_sentence",
            section=t.section,
            message="this text stops mid-sentence",
            excerpt=_excerpt(t.text, tail=True),
        )
        for t in scan.texts
        if t.kind != "cell"
        and t.section not in ("preamble", "title", "sources")
        and is_cut(t.text, item=t.kind == "item")
    ]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = [w.casefold() for w in _WORD.findall(_CITATIONS.sub(" ", text))]
    return {tuple(words[i : i + 3]) for i in range(max(0, len(words) - 2))}


def _repeats(scan: _Scan) -> list[Finding]:
    found: list[Finding] = []
    seen: list[tuple[_Text, set[tuple[str, ...]]]] = []
    for t in scan.texts:
        words = len(_WORD.findall(_CITATIONS.sub(" ", t.text)))
        if t.kind == "cell" or t.section == "sources" or words < REPEAT_MIN_WORDS:
            continue
        grams = _shingles(t.text)
        comparable = [(s, g) for s, g in seen if s.section == t.section or words >= REPEAT_ACROSS_MIN_WORDS]
        match = next((s for s, g in comparable if _jaccard(grams, g) >= REPEAT_SIMILARITY), None)
        if match is not None:
            where = "earlier in this section" if match.section == t.section else f"in {match.section}"
            found.append(
                Finding(
                    kind="repeated_paragraph",
                    section=t.section,
                    message=f"this paragraph repeats one {where}",
                    excerpt=_excerpt(t.text),
                )
            )
            continue
        seen.append((t, grams))
    return found


def _jaccard(a: set[Any], b: set[Any]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _excerpt(text: str, limit: int = 120, *, tail: bool = False) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return "\u2026" + flat[-limit:] if tail else flat[:limit] + "\u2026"


# --------------------------------------------------------------------------- use cases, citations


def _content_words(text: str) -> set[str]:
    words = (w.casefold() for w in _WORD.findall(text))
    return {_stem(w) for w in words if w not in _STOP and len(w) > 2}


def _stem(word: str) -> str:
    """Enough to match "audit" with "audits" and "shipment" with "shipments"."""
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        return word[:-1]
    return word


def use_case_findings(use_cases: list[UseCase]) -> list[Finding]:
    """Duplicates (by technique and problem, or by title or problem alone) and use cases that name
    no AI technique. The later of two duplicates is the one reported."""
    found: list[Finding] = []
    for j, later in enumerate(use_cases, start=1):
        for i, earlier in enumerate(use_cases[: j - 1], start=1):
            why = _duplicate(earlier, later)
            if why:
                found.append(
                    Finding(
                        kind="duplicate_use_case",
                        section=f"use_case:{j}",
                        message=f"use case {j} repeats use case {i} ({why})",
                        excerpt=later.title,
                    )
                )
                break
        if not _is_ai(later):
            found.append(
                Finding(
                    kind="non_ai_use_case",
                    section=f"use_case:{j}",
                    message=f"use case {j} names no AI technique in its title or solution",
                    excerpt=later.title,
                )
            )
    return found


def _technique(uc: UseCase) -> str:
    value = getattr(uc, "technique", None)  # the technique catalogue, where the record has it
    return str(getattr(value, "value", value) or "").strip().casefold()


def _duplicate(a: UseCase, b: UseCase) -> str:
    problems = _jaccard(_content_words(a.problem), _content_words(b.problem))
    if _technique(a) and _technique(a) == _technique(b) and problems >= SAME_TECHNIQUE_PROBLEM_SIMILARITY:
        return "the same technique for a similar problem"
    if _jaccard(_content_words(a.title), _content_words(b.title)) >= TITLE_SIMILARITY:
        return "a similar title"
    if problems >= PROBLEM_SIMILARITY:
        return "a similar problem"
    return ""


def _is_ai(uc: UseCase) -> bool:
    technique = _technique(uc)
    if technique:
        return technique not in ("none", "no ai", "n/a")
    return bool(_AI_WORDS.search(f"{uc.title}\n{uc.solution}"))


def citation_findings(citations: Mapping[str, Any] | None, min_supported: float) -> list[Finding]:
    if citations is None:
        return []
    total, supported = int(citations.get("total") or 0), int(citations.get("supported") or 0)
    if total == 0:
        return [
            Finding(
                kind="no_citations",
                section="citations",
                message="the report cites none of the company's documents",
            )
        ]
    share = supported / total
    if min_supported > 0 and share < min_supported:
        return [
            Finding(
                kind="unsupported_citations",
                section="citations",
                message=f"only {supported} of {total} citations ({share:.0%}) are supported by the passage they "
                f"cite (threshold {min_supported:.0%}); `runs/<run>/verify.json` lists each decision",
            )
        ]
    return []
