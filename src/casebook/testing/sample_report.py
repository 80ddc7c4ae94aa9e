"""A realistic final report for tests and the render benchmark, without a model.

The report is assembled by the pipeline's own `assemble_report` and ends with a Sources
section in verify's format, so it has exactly the shape of a finished run's Markdown.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Literal

from casebook.models import Submission, UseCase
from casebook.steps.consolidate import assemble_report
from casebook.steps.verify import Source, _sources_section

Horizon = Literal["0-6 months", "6-12 months", "12-24 months"]
TITLES: list[tuple[str, int, int, int, Horizon]] = [
    ("Automated invoice matching in finance", 4, 2, 5, "0-6 months"),
    ("Shipment status assistant for customer service", 5, 2, 4, "0-6 months"),
    ("Dynamic warehouse labour forecasting", 4, 3, 4, "6-12 months"),
    ("Predictive maintenance for the truck fleet", 3, 4, 3, "12-24 months"),
    ("Damage-claim triage with document understanding", 3, 2, 3, "0-6 months"),
    ("Route optimisation with live traffic and depot capacity", 5, 5, 5, "12-24 months"),
    ("Slotting optimisation in the Rotterdam warehouse", 2, 3, 2, "6-12 months"),
    ("Carrier rate benchmarking from tender data", 2, 1, 2, "6-12 months"),
    ("Customs document pre-check", 3, 3, 3, "6-12 months"),
    ("Driver onboarding knowledge assistant", 2, 2, 2, "0-6 months"),
]
FILES = [
    ("annual-report-2025.pdf", 18),
    ("operations-review-2025.pdf", 9),
    ("customer-service-audit-2025.pdf", 6),
    ("ceo-strategy-memo-northwind-2028.docx", None),
    ("interview-head-of-customer-service-sanne-kuipers.docx", None),
]
_SENTENCES = [
    "Invoice matching is still done by hand and takes nine full-time employees every month",
    "On-time delivery was 91.4% in 2025, short of the 93% target for 2026",
    "Fourteen per cent of support tickets ask where a shipment is",
    "The warehouse management system holds location data of uneven quality",
    "Depot managers plan labour per shift in spreadsheets that are not shared",
    "The 2028 strategy asks for a measurable gain in productivity per depot",
    "Customer service handles peaks after public holidays with temporary staff",
    "Finance closes the month in eight working days, three more than peers",
    "The fleet's telematics data is collected but rarely analysed",
    "Damage claims arrive as e-mails with photos and free-text descriptions",
    "Management expects a first measurable result within six months",
    "Data ownership is not assigned for most operational systems",
]


def sample_report(
    use_cases: int = 7,
    *,
    paragraphs: int = 3,
    sources: int = 24,
    seed: int = 7,
    company: str = "Northwind Logistics",
) -> tuple[str, list[UseCase], Submission]:
    """(markdown, use cases, submission) of a finished report; `paragraphs` sets its length."""
    rng = random.Random(seed)
    cases = [_use_case(i, rng, sources) for i in range(use_cases)]
    submission = Submission.parse(
        {
            "company_name": company,
            "company_info": "{Company description}: Freight, warehousing and contract logistics\n"
            "{Overall Readiness score}: 58\n{Agent-readiness category}: Adopter\n"
            "{Report Expectations}: A phased roadmap the board can approve",
            "use_cases_count": use_cases,
        }
    )
    summary = _prose(rng, ["Summary", "Key findings", "Recommendations"], paragraphs, sources)
    part_a = _prose(
        rng,
        [
            "Company profile",
            "Processes and pain points",
            "Data and systems",
            "People and skills",
            "Governance and risk",
        ],
        paragraphs,
        sources,
    )
    part_b = "\n\n".join(
        _use_case_section(n, uc, rng, paragraphs, sources) for n, uc in enumerate(cases, 1)
    )
    markdown = assemble_report(
        submission=submission,
        run_id="20260101-090000-abc123",
        created=datetime(2026, 1, 1, 9),
        summary=summary,
        part_a=part_a,
        part_b=part_b,
        use_cases=cases,
    )
    listed = [
        Source(n, file, rng.randint(1, pages) if pages else None, _excerpt(rng))
        for n, (file, pages) in ((n, FILES[(n - 1) % len(FILES)]) for n in range(1, sources + 1))
    ]
    return markdown.rstrip() + "\n\n" + _sources_section(listed), cases, submission


def _use_case(i: int, rng: random.Random, sources: int) -> UseCase:
    title, impact, effort, value, horizon = TITLES[i % len(TITLES)]
    if i >= len(TITLES):
        title = f"{title} ({i // len(TITLES) + 1})"
    return UseCase(
        title=title,
        problem=_sentence(rng) + ".",
        solution=_sentence(rng) + ".",
        expected_impact=_sentence(rng) + ".",
        impact=impact,
        effort=effort,
        value=value,
        horizon=horizon,
        kpis=["Hours saved per month", "Error rate", "Cycle time"],
        data_needed=["ERP exports", "WMS events"],
        risks=["Data quality", "Adoption by staff"],
        citations=[f"S{rng.randint(1, sources)}"],
    )


def _use_case_section(
    number: int, uc: UseCase, rng: random.Random, paragraphs: int, sources: int
) -> str:
    body = _prose(rng, ["Problem", "Solution", "Expected impact"], paragraphs, sources, level=4)
    steps = "\n".join(f"{k}. {_sentence(rng)} {_cite(rng, sources)}" for k in range(1, 5))
    kpis = "\n".join(f"- **{kpi}:** {_sentence(rng).lower()}" for kpi in uc.kpis)
    return (
        f"### {number}. {uc.title}\n\n{body}\n\n#### KPIs\n\n{kpis}\n\n"
        f"#### Implementation steps\n\n{steps}\n\n#### Risks\n\n"
        + "\n".join(f"- {risk}: *{_sentence(rng).lower()}*" for risk in uc.risks)
    )


def _prose(
    rng: random.Random, headings: list[str], paragraphs: int, sources: int, level: int = 3
) -> str:
    parts = []
    for heading in headings:
        parts.append(f"{'#' * level} {heading}")
        for _ in range(paragraphs):
            sentences = [
                f"{_sentence(rng)} {_cite(rng, sources)}." for _ in range(rng.randint(3, 6))
            ]
            parts.append(" ".join(sentences))
        if rng.random() < 0.5:
            parts.append("\n".join(f"- {_sentence(rng)} {_cite(rng, sources)}" for _ in range(3)))
    return "\n\n".join(parts)


def _sentence(rng: random.Random) -> str:
    return rng.choice(_SENTENCES)


def _cite(rng: random.Random, sources: int) -> str:
    return "".join(f"[{n}]" for n in sorted(rng.sample(range(1, sources + 1), rng.randint(1, 2))))


def _excerpt(rng: random.Random) -> str:
    return " ".join(rng.sample(_SENTENCES, 2))[:150] + " …"
