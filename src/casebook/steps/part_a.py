"""Part A: company context, readiness assessment and themes, as Markdown.

Its three sections must each have content and must not copy the intake form. An answer that
copies it is asked for once more with the reason; a section the model left empty or out is
written by the pipeline from what it has (the evidence's themes and facts, the readiness score),
which costs no call.
"""

from __future__ import annotations

import re

from casebook.llm import LLMClient, StepModel
from casebook.models import Evidence, EvidenceItem, Submission, UseCase
from casebook.steps.capped import ask_capped, capped_model
from casebook.steps.overlap import copied_from
from casebook.steps.prompts import (
    asked_again,
    messages,
    render_evidence,
    render_passages,
    render_submission,
    system_prompt,
)

SECTIONS = ("Company context", "Readiness assessment", "Key themes")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


async def write_part_a(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    evidence: Evidence,
    use_cases: list[UseCase],
    tone: str = "",
    *,
    rejected: tuple[str, list[str]] | None = None,
    passages: bool = True,
    prose_chars: int | None = None,
) -> str:
    """Part A from the evidence; `passages=False` leaves the passages out of the prompt (evidence
    the pipeline picked is their own sentences already: a small model reads half the tokens)."""
    titles = "\n".join(f"{i}. {uc.title}" for i, uc in enumerate(use_cases, start=1))
    shown = f"\n\nPassages:\n\n{render_passages(evidence.passages)}" if passages else ""
    user = (
        f"{render_submission(submission)}\n\nEvidence by theme:\n\n{render_evidence(evidence)}"
        f"{shown}\n\nProposed use cases:\n{titles}"
    )
    asked = messages(system_prompt("part_a"), user, tone)
    if rejected is not None:
        asked += asked_again(*rejected, "Part A")
    if prose_chars is None:
        return (await llm.chat("part_a", model, asked)).strip()
    # capped JSON, one field a section (`casebook.steps.capped`): the pipeline sets the headings
    asked[1]["content"] += (
        "\n\nAnswer with JSON: one field a section, its text without the heading, in plain sentences "
        "with the passage ids in square brackets."
    )
    fields = {_field(s): f"The {s.casefold()} section, without its heading" for s in SECTIONS}
    schema = capped_model("PartA", fields, prose_chars)
    answer = await ask_capped(llm, "part_a", model, asked, schema, prose_chars * len(fields))
    return "\n\n".join(f"### {s}\n\n{answer[_field(s)]}" for s in SECTIONS)


def _field(section: str) -> str:
    return section.casefold().replace(" ", "_")


def sections_of(text: str) -> dict[str, str]:
    """Body of each of Part A's sections found in `text`, by its canonical name."""
    found: dict[str, str] = {}
    marks = list(_HEADING.finditer(text))
    for k, match in enumerate(marks):
        name = match.group(2).replace("*", "").strip().rstrip(":").casefold()
        canonical = next((s for s in SECTIONS if name == s.casefold()), None)
        if canonical is None or canonical in found:
            continue
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        found[canonical] = text[match.end() : end].strip()
    return found


def part_a_problems(text: str, submission: Submission) -> list[str]:
    """Why Part A must be asked for again (empty when it need not): it copies the intake form.
    A missing or empty section is not asked for: `fill_empty_sections` writes it."""
    problems = []
    intake = "\n\n".join(t for t in (submission.company_description, submission.report_expectations) if t)
    copied = copied_from(text, {"the intake form": intake, "its own instructions": system_prompt("part_a")})
    if copied is not None:
        problems.append(copied.reason("Part A"))
    return problems


def without_copied_sections(text: str, submission: Submission) -> tuple[str, list[str]]:
    """Part A with each section that still copies the intake form (asked twice) emptied, for
    `fill_empty_sections` to write from the evidence: a reader has read the intake form already.
    Also the names of the sections emptied."""
    intake = "\n\n".join(t for t in (submission.company_description, submission.report_expectations) if t)
    found = sections_of(text)
    copied = [name for name, body in found.items() if body and copied_from(body, {"the intake form": intake})]
    if not copied:
        return text, []
    extra = _outside_sections(text)
    parts = [f"### {s}\n\n{'' if s in copied else found.get(s, '')}".rstrip() for s in SECTIONS]
    return "\n\n".join([*([extra] if extra else []), *parts]), copied


def fill_empty_sections(
    text: str, evidence: Evidence, submission: Submission, use_cases: list[UseCase] | None = None
) -> str:
    """Part A with every section present: one the model left empty is written from the evidence,
    with facts the use cases' problems do not state already (the reader meets those in Part B)."""
    found = sections_of(text)
    missing = [s for s in SECTIONS if not found.get(s)]
    if not missing:
        return text
    parts = {s: f"### {s}\n\n{found[s]}" for s in SECTIONS if found.get(s)}
    said = {_key(uc.problem) for uc in use_cases or []}
    for name in SECTIONS:  # in order: a fact one section states, a later one does not repeat
        if name in missing:
            parts[name] = f"### {name}\n\n{_fallback(name, evidence, submission, said)}"
    extra = _outside_sections(text)
    return "\n\n".join([*([extra] if extra else []), *(parts[s] for s in SECTIONS)])


def _key(text: str) -> str:
    return " ".join(re.sub(r"\[S\d+\]", " ", text).casefold().split()).rstrip(". ")


def _outside_sections(text: str) -> str:
    """Text before the first of Part A's headings (kept as it is)."""
    names = {s.casefold() for s in SECTIONS}
    first = next(
        (m for m in _HEADING.finditer(text) if m.group(2).replace("*", "").strip().rstrip(":").casefold() in names),
        None,
    )
    return (text[: first.start()] if first else text).strip()


def _fallback(name: str, evidence: Evidence, submission: Submission, said: set[str] | None = None) -> str:
    """A section from the evidence: its facts as cited sentences, each stated once in the report
    (`said`: the facts stated already, updated with those this section states)."""
    said = set() if said is None else said
    themes = evidence.themes

    def fresh(items: list[EvidenceItem], most: int) -> list[str]:
        chosen: list[str] = []
        for item in items:
            if len(chosen) == most:
                break
            if _key(item.fact) not in said:
                said.add(_key(item.fact))
                chosen.append(f"{item.fact.rstrip('.')} [{item.source}].")
        return chosen

    if name == "Readiness assessment":
        score = f"{submission.readiness_score:g}/100" if submission.readiness_score is not None else "not given"
        category = submission.readiness_category or "not given"
        lines = [f"The company rates its own AI readiness at {score} (category: {category})."]
        for label, words in (("data and systems", ("data", "system")), ("people and skills", ("people", "skill"))):
            theme = next((t for t in themes if any(w in t.name.casefold() for w in words)), None)
            facts = fresh(theme.items, 2) if theme is not None else []
            if facts:
                lines.append(f"On {label}, its documents say: " + " ".join(facts))
        return " ".join(lines)
    if name == "Company context":
        facts = [f for t in themes[:4] for f in fresh(t.items, 1)]
        return " ".join(facts[:3]) or "The documents say little about this."
    # each theme under its own heading (a name is no claim for the citation check), with facts no
    # earlier part states: a fact said twice would be dropped as a repeat, leaving an empty heading
    blocks = [f"#### {t.name}\n\n" + " ".join(facts) for t in themes if (facts := fresh(t.items, 2))]
    if blocks:
        return "\n\n".join(blocks)
    if themes:  # every fact is stated already: the themes by name, where their facts are is said
        names = "; ".join(t.name for t in themes)
        return f"The documents' themes: {names}. Their facts are cited above and in the use cases' problems."
    return "The documents gave no themes."
