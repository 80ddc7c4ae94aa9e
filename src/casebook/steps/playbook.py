"""A use case's details from the pipeline's playbook: what a consultant knows about each technique.

A 0.5B model asked for a whole use case scored seven of seven "impact 5, effort 1, value 5",
gave every one the horizon "12-24 months", wrote "5, effort 1, impact 5." as an expected impact,
"Data Review and System Issues" as a KPI and a solution that copied a passage about something
else. A model set with `use_case_details = "playbook"` (the `local` set) asks such a model only for
what it can write (a title, the solution) and takes the rest from here:

- effort, its reason and the data, KPIs and risks from the technique's entry in `PLAYS`: what it
  usually takes to deliver, measure and run that kind of AI (written once, for any company);
- impact from the cited problem itself: a cost or other figure the documents state for it
  weighs more than a pain they name without one, which weighs more than a plain fact;
- value from the two, and the horizon from the effort (a low-effort use case can be piloted within
  six months), so the portfolio and the roadmap separate what the model could not;
- the expected impact from the technique's play; the model's solution when it is prose of its own
  that speaks of the problem and of the technique, not of another use case's work, and states no
  figure the problem, the passages or the intake form do not; the technique's own sentence otherwise.

Every score carries its reason, so a reader sees the rule that set it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from casebook.models import UseCase
from casebook.steps.evidence_extract import names_pain
from casebook.steps.figures import MONEY, FigureSet, figures
from casebook.steps.support import content_words
from casebook.steps.use_case_plan import SIGNALS


@dataclass(frozen=True)
class Play:
    effort: int  # 1 (low) to 5 (high): what delivering this kind of AI usually takes
    effort_reason: str
    solution: str  # what the AI does, for any company
    impact: str  # what usually changes when it works
    kpis: tuple[str, ...]
    data: tuple[str, ...]
    risks: tuple[str, ...]


PLAYS: dict[str, Play] = {
    "document understanding/extraction": Play(
        2,
        "reads documents the company already receives; an off-the-shelf extraction service can be tuned on a sample",
        "An extraction model reads the incoming documents, fills in the fields the team now types or matches by "
        "hand and flags what it is unsure of for a person to check.",
        "Less manual entry and matching, faster processing and fewer typing errors; staff handle the exceptions.",
        ("Share of documents processed without manual correction", "Hours of manual entry per week"),
        ("A labelled sample of the documents (a few hundred)", "The target system's fields and rules"),
        ("Wrong values passed on unchecked: confidence thresholds and a person for the unsure cases.",),
    ),
    "retrieval assistant": Play(
        2,
        "searches documents the company already has; needs them gathered and kept current, no model training",
        "An assistant searches the company's own documents and answers staff questions in plain language, "
        "quoting the passage it relied on so the answer can be checked.",
        "Answers found in seconds instead of by asking colleagues or searching folders; knowledge is kept when "
        "people leave.",
        ("Time to find an answer", "Share of answers rated correct by staff"),
        ("The manuals, procedures and notes behind the answers", "Who may see which document"),
        ("Outdated or wrong answers: answers cite their source, and documents get an owner.",),
    ),
    "forecasting": Play(
        3,
        "needs two or more years of clean history and a planning process that uses the forecast",
        "A forecasting model learns from the history the company already records and predicts the coming weeks, "
        "with a range, so planners book people and capacity ahead instead of at short notice.",
        "Fewer short-notice bookings at premium rates and less idle capacity; planners keep the final say.",
        ("Forecast error (MAPE) against actuals", "Share of capacity booked at short notice"),
        ("Two or more years of the volumes to forecast", "Calendar, promotions and other known drivers"),
        ("Forecasts trusted beyond their accuracy: show the range and track the error weekly.",),
    ),
    "classification/routing": Play(
        2,
        "learns from past messages and the teams that handled them; the categories exist already",
        "A classifier reads each incoming message or request, labels its type and urgency and routes it to the "
        "right team or queue, with a person reviewing the uncertain ones.",
        "Requests reach the right person sooner and less time goes into sorting them by hand.",
        ("Share routed correctly the first time", "Time from arrival to the right team"),
        ("A year of past messages with the team that handled them", "The current categories and routing rules"),
        ("Misrouted urgent requests: a confidence threshold and a daily check of a sample.",),
    ),
    "anomaly detection": Play(
        3,
        "needs a baseline of normal data and people who act on the alerts",
        "An anomaly detection model watches the transactions and records as they arrive and flags the ones that "
        "look wrong (errors, duplicates, outliers) before they cost money.",
        "Errors caught at the source instead of after they cause claims, rework or write-offs.",
        ("Issues caught before they cost", "Share of alerts that were real (precision)"),
        ("History of the records it watches, with known errors marked", "Who acts on an alert, and how"),
        ("Alert fatigue from false alarms: tune thresholds with the people who handle them.",),
    ),
    "optimisation/scheduling": Play(
        4,
        "needs accurate constraints, integration with the planning system and planners' trust",
        "An optimisation engine proposes plans (routes, tours, shifts or slots) that meet the constraints at the "
        "lowest cost; planners review, adjust and release them.",
        "Fewer kilometres, hours or empty capacity per unit of work, and plans made in less time.",
        ("Cost or kilometres per unit of work", "Planner hours per plan"),
        ("The orders, resources and constraints the planners use", "Past plans and their actual outcome"),
        ("Plans that ignore an unwritten rule: planners keep the final say and feed back the misses.",),
    ),
    "generative drafting": Play(
        2,
        "uses a hosted language model on the company's own templates and past documents",
        "A language model drafts the documents the team now writes from scratch (replies, reports, proposals) "
        "from the case's facts and the company's templates; a person edits and sends them.",
        "Drafting time cut and documents more consistent; people spend their time on judgement, not typing.",
        ("Drafting time per document", "Share of drafts sent with light edits"),
        ("Templates and good past examples", "The facts behind each document"),
        ("Confident but wrong text: every draft is reviewed, and facts come from the records.",),
    ),
    "conversational agent": Play(
        3,
        "needs live data from the company's systems and a hand-over to a person",
        "A conversational agent answers customers' routine questions at any hour from live data and the "
        "company's own information, and hands the conversation to an agent when it cannot help.",
        "Routine questions answered at once; agents spend their time on the cases that need a person.",
        ("Share of questions resolved without an agent", "Time to first answer"),
        ("Live status data through an interface", "The questions customers ask most, with good answers"),
        ("Wrong answers to customers: answer only from approved sources, hand over when unsure.",),
    ),
    "computer vision": Play(
        4,
        "needs labelled images, cameras or a capture step, and a model trained for this use",
        "A computer vision model inspects the images or video the operation produces and flags damage, "
        "missing items or errors for a person to confirm.",
        "Problems seen at the moment they happen, with the image as evidence, instead of found later.",
        ("Share of images checked automatically", "Detection accuracy on a labelled sample"),
        ("Images of normal and faulty cases, labelled", "Where and when images are captured"),
        ("Missed or false detections: measure on a labelled sample before relying on it.",),
    ),
    "recommendation": Play(
        3,
        "needs history of what was offered and taken, and a place to show the suggestions",
        "A recommendation model suggests the next best option for each case (an offer, a product, a service "
        "level) from what similar cases took, for staff to use or ignore.",
        "Better choices made faster and more consistently; uptake shows what works.",
        ("Uptake of recommendations", "Margin or revenue per customer"),
        ("History of offers and what was chosen", "Customer and product attributes"),
        ("Suggestions that reinforce old habits: test against a control group.",),
    ),
}
_GENERIC = Play(
    3,
    "a first AI project of its kind for the company",
    "An AI system takes over the repetitive part of this work and a person checks its output.",
    "Less manual work and fewer errors in this process.",
    ("Hours of manual work per week", "Error rate"),
    ("Examples of the work as it is done today",),
    ("Output relied on unchecked: a person reviews it until it is proven.",),
)
# what the intake form asks to be respected, and the risk that says so
_CONSTRAINTS = (
    (re.compile(r"\bworks?[- ]council\b", re.I), "Works council: involve it before the pilot starts."),
    (
        re.compile(r"\bGDPR\b|\bprivacy\b|\bpersonal data\b", re.I),
        "GDPR: personal data only where needed, with a DPIA.",
    ),
)
_HORIZON_BY_EFFORT = {1: "0-6 months", 2: "0-6 months", 3: "6-12 months", 4: "12-24 months", 5: "12-24 months"}


def play_for(technique: str | None) -> Play:
    return PLAYS.get(technique or "", _GENERIC)


@dataclass(frozen=True)
class Scores:
    impact: int
    effort: int
    value: int
    horizon: str
    impact_reason: str
    effort_reason: str
    value_reason: str


def scores(problem: str, technique: str | None) -> Scores:
    """Impact from what the cited problem states, effort from the technique, value from both."""
    play = play_for(technique)
    stated = figures(problem)
    money = MONEY.search(problem)
    pain = names_pain(problem)
    impact = 2 + bool(stated) + bool(money) + pain
    if money:
        why = f"the documents put a cost on the problem ({money.group(0).strip()})"
    elif stated:
        why = f"the documents measure the problem ({stated[0].text})"
    else:
        why = "the documents name the problem but give no figure for it"
    if pain and not money:
        why += ", and name it as a pain"
    value = max(1, min(5, round((impact + 6 - play.effort) / 2 + 0.01)))
    return Scores(
        impact=impact,
        effort=play.effort,
        value=value,
        horizon=_HORIZON_BY_EFFORT[play.effort],
        impact_reason=why[:1].upper() + why[1:],
        effort_reason=play.effort_reason[:1].upper() + play.effort_reason[1:],
        value_reason=f"Impact {impact} for effort {play.effort}",
    )


def risks_for(technique: str | None, intake: str) -> list[str]:
    """The technique's risks, then the constraints the intake form names (works council, GDPR)."""
    return [*play_for(technique).risks, *(risk for pattern, risk in _CONSTRAINTS if pattern.search(intake))]


_COPY_WORDS = 8  # a run this long shared with a passage is a copy, not the model's own words
_TOKEN = re.compile(r"\w+")


def own_prose(text: str, passages: Iterable[str], stated: Iterable[str], *, min_words: int = 6) -> bool:
    """The model's sentence is usable: prose (mostly words, not "5, effort 1, impact 5."), no run
    of `_COPY_WORDS` words copied from the `passages` it was shown, and no figure that neither they
    nor the `stated` texts (the problem, the intake form) hold ("100% on-time delivery" when the
    target is 95%)."""
    passages = list(passages)
    words = _TOKEN.findall(text.casefold())
    alphabetic = [w for w in words if w.isalpha()]
    if len(alphabetic) < min_words or len(alphabetic) < 0.7 * len(words):
        return False
    runs = {tuple(words[i : i + _COPY_WORDS]) for i in range(len(words) - _COPY_WORDS + 1)}
    for passage in passages:
        tokens = _TOKEN.findall(passage.casefold())
        if runs & {tuple(tokens[i : i + _COPY_WORDS]) for i in range(len(tokens) - _COPY_WORDS + 1)}:
            return False
    held = FigureSet.of("\n".join([*passages, *stated]))
    return all(held.holds(f) for f in figures(text))


def about(text: str, problem: str, technique: str | None = None) -> bool:
    """The text speaks of this problem (two of its content words) and, given a technique, of what
    that technique does (its name or one of its signal words): "The AI system can help automate
    the process of managing consignment orders" answers no forecasting problem."""
    words = content_words(text)
    if len(words & content_words(problem)) < 2:
        return False
    return technique is None or bool(words & (SIGNALS.get(technique, frozenset()) | content_words(technique)))


class UseCaseDraft(BaseModel):
    """What a small model writes of a use case when the playbook gives the rest. Its expected
    impacts were not kept: asked for one, Qwen 0.5B restated its solution, or wrote of another
    problem ("Customers will be able to predict their labor costs" for slow answers to customers)."""

    title: str = Field(min_length=8, max_length=80, description="3 to 8 words: what the AI does, for which work")
    solution: str = Field(
        min_length=40, max_length=320, description="What the AI does here: what it reads, produces, who uses it"
    )


def borrows(text: str, problem: str, others: Iterable[str]) -> bool:
    """The text speaks of another use case's work: two of its words are in the `others` (their
    titles and problems) and not in its own problem. Qwen 0.5B, shown "Forecasting temporary agency
    labour" as a title already used, wrote of "temporary agency labor" in the solutions of a
    retrieval assistant for hub transfers and of a conversational agent for customers."""
    foreign = content_words(" ".join(others)) - content_words(problem)
    return len(content_words(text) & foreign) >= 2


def use_case_from_draft(
    draft: UseCaseDraft,
    *,
    technique: str,
    problem: str,
    citations: list[str],
    passages: list[str],
    intake: str,
    others: Iterable[str] = (),
) -> UseCase:
    """The use case: the model's title, its solution where that is its own prose about this problem
    and no other (`own_prose`, `about`, `borrows`: `others` are the other use cases' titles and
    problems), everything else from the technique's play and the cited problem."""
    play = play_for(technique)
    given = scores(problem, technique)
    stated = [problem, intake]
    solution_fits = (
        own_prose(draft.solution, passages, stated)
        and about(draft.solution, problem, technique)
        and not borrows(draft.solution, problem, others)
    )
    return UseCase(
        title=draft.title,
        technique=technique,
        problem=problem,
        solution=draft.solution if solution_fits else play.solution,
        expected_impact=play.impact,
        impact=given.impact,
        effort=given.effort,
        value=given.value,
        impact_reason=given.impact_reason,
        effort_reason=given.effort_reason,
        value_reason=given.value_reason,
        horizon=given.horizon,
        kpis=list(play.kpis),
        data_needed=list(play.data),
        risks=risks_for(technique, intake),
        citations=citations,
    )
