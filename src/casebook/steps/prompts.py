"""Prompt text lives in `<step>.txt` beside each step; this module loads and fills it."""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

from casebook.models import Evidence, Passage, Submission, UseCase

PASSAGE_CHARS = 900


@cache
def _template(name: str) -> Template:
    return Template(resources.files("casebook.steps").joinpath(f"{name}.txt").read_text("utf-8"))


def asked_again(earlier: str, reasons: list[str], what: str) -> list[dict[str, str]]:
    """The turns that show the model its rejected answer and why, then ask for `what` again."""
    return [
        {"role": "assistant", "content": earlier},
        {"role": "user", "content": "That answer was rejected: " + "; and ".join(reasons) + f". Write {what} again."},
    ]


def system_prompt(name: str, **values: object) -> str:
    return _template(name).substitute({k: str(v) for k, v in values.items()})


def render_submission(sub: Submission) -> str:
    score = f"{sub.readiness_score:g}/100" if sub.readiness_score is not None else "not given"
    lines = [
        f"Company: {sub.company_name}",
        f"Description: {sub.company_description or 'not given'}",
        f"Readiness score: {score}",
        f"Readiness category: {sub.readiness_category or 'not given'}",
        f"Report expectations: {sub.report_expectations or 'not given'}",
    ]
    return "\n".join(lines)


def render_passages(passages: list[Passage], limit: int = PASSAGE_CHARS) -> str:
    blocks = []
    for p in passages:
        where = p.file + (f", p. {p.page}" if p.page else "") + (f" ({p.section})" if p.section else "")
        text = " ".join(p.text.split())
        if len(text) > limit:
            text = text[:limit].rsplit(" ", 1)[0] + " …"
        blocks.append(f"[{p.source_id}] {where}\n{text}")
    return "\n\n".join(blocks)


def render_evidence(evidence: Evidence) -> str:
    parts = []
    for theme in evidence.themes:
        items = "\n".join(f"- {i.fact} [{i.source}]" for i in theme.items)
        parts.append(f"### {theme.name}\n{theme.summary}\n{items}")
    return "\n\n".join(parts)


def render_use_case(uc: UseCase, number: int) -> str:
    cites = " ".join(f"[{c}]" for c in uc.citations)
    return (
        f"Use case {number}: {uc.title}\n"
        f"Problem: {uc.problem}\nSolution: {uc.solution}\nExpected impact: {uc.expected_impact}\n"
        f"Impact {uc.impact}/5, effort {uc.effort}/5, value {uc.value}/5, horizon {uc.horizon}\n"
        f"KPIs: {'; '.join(uc.kpis)}\nData needed: {'; '.join(uc.data_needed)}\n"
        f"Risks: {'; '.join(uc.risks)}\nSources: {cites}"
    )


def messages(system: str, user: str, tone: str = "") -> list[dict[str, str]]:
    """A system and a user message; the report template's tone (e.g. its language) ends the system prompt."""
    if tone.strip():
        system = f"{system.rstrip()}\n\n{tone.strip()}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
