"""What a use case must be before the report may use it: an AI use case (a technique from the
catalogue, a solution that says what the AI does, a title that is not just an evidence theme),
grounded (its problem states at least one fact its cited passage holds), and distinct from the
use cases before it. Each failure is a reason the model is told when it is asked again.

Similarity is the Jaccard index of two texts' sets of stemmed content words (the words the
citation check compares, `casebook.steps.support.content_words`: stop words out, "matching" and
"matched" one word). Two use cases are the same one when their titles or their problems reach
DUPLICATE_SIMILARITY, or their data-and-risk lists reach LISTS_SIMILARITY. The thresholds: the
ten distinct use cases of the sample report (casebook.testing.sample_report) share at most 0.14
of their title words pairwise ("warehouse" in two of them), while a reworded repeat
("Automated invoice matching" / "Invoice matching automation") shares all of them; 0.6 leaves
room for a shared word or two ("customer", "warehouse") in two different use cases of one
company. The lists are long and share domain words more easily, so only a near copy (0.8)
counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from casebook.models import NO_TECHNIQUE, TECHNIQUES, Evidence, UseCase
from casebook.steps.claims import sentences
from casebook.steps.support import SUPPORT_THRESHOLD, SupportScorer, content_words

DUPLICATE_SIMILARITY = 0.6
LISTS_SIMILARITY = 0.8
THEME_TITLE_SIMILARITY = 0.8
CITATION = re.compile(r"\[(S\d{1,4})\]")
TITLE_REASON = "its title"  # how every reason that only the title mends begins
# the words of "AI Use Case: Forecasting" that say nothing of what the AI does
GENERIC_TITLE_WORDS = re.compile(r"\b(?:ai|use|case|solution|system|tool)\b", re.IGNORECASE)

# Words that say what an AI system does; a solution with none of them describes no AI.
_AI_WORDS = re.compile(
    r"\b(ai|a\.i\.|artificial intelligence|machine[- ]learning|ml|llm|language model|model|models|"
    r"algorithm\w*|predict\w*|forecast\w*|classif\w*|categoris\w*|categoriz\w*|extract\w*|detect\w*|"
    r"recommend\w*|optimi[sz]\w*|generat\w*|draft\w*|assistant|agent|chatbot|chat|vision|image\w*|"
    r"ocr|nlp|neural|learn\w*|cluster\w*|anomal\w*|rank\w*|retriev\w*|semantic|summari[sz]\w*|"
    r"schedul\w*|rout\w*|triag\w*|automat\w*|intelligent|scor\w*)\b",
    re.IGNORECASE,
)


def says_what_ai_does(text: str) -> bool:
    """The text names what an AI system does (a model, a forecast, an extraction …)."""
    return _AI_WORDS.search(text) is not None


def similarity(a: str, b: str) -> float:
    """Jaccard index of the two texts' stemmed content words (0 when either has none)."""
    wa, wb = content_words(_plain(a)), content_words(_plain(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _plain(text: str) -> str:
    return " ".join(CITATION.sub(" ", text).split())


def _lists(uc: UseCase) -> str:
    return " ".join([*uc.data_needed, *uc.risks])


@dataclass(frozen=True)
class Finding:
    """Why use case `index` (0-based) is rejected; `reason` is what the model is told."""

    index: int
    kind: str  # duplicate, not_ai, uncited_problem
    reason: str

    @property
    def about_title(self) -> bool:
        """Only the title is wrong (it repeats another's, or names just a theme or a technique):
        a new title mends it."""
        return self.reason.startswith(TITLE_REASON)


def check_use_cases(use_cases: list[UseCase], evidence: Evidence, *, lists: bool = True) -> list[Finding]:
    """Every reason to reject each use case; a duplicate is the later of the two. `lists=False`:
    data and risks are the pipeline's (`casebook.steps.playbook`), the same for one technique,
    and not compared."""
    scorer = SupportScorer({p.source_id: p.text for p in evidence.passages})
    shown = {p.source_id for p in evidence.passages}
    themes = [t.name for t in evidence.themes]
    found: list[Finding] = []
    for i, uc in enumerate(use_cases):
        found += [Finding(i, "not_ai", r) for r in not_ai(uc, themes)]
        reason = uncited_problem(uc, scorer, shown)
        if reason:
            found.append(Finding(i, "uncited_problem", reason))
        for j in range(i):
            reason = duplicate_of(uc, use_cases[j], j + 1, lists=lists)
            if reason:
                found.append(Finding(i, "duplicate", reason))
                break
    return found


def not_ai(uc: UseCase, themes: list[str]) -> list[str]:
    reasons = []
    if uc.technique not in TECHNIQUES:
        named = "no AI technique" if uc.technique in (None, "", NO_TECHNIQUE) else f"{uc.technique!r}"
        reasons.append(
            f"it names {named}, not an AI technique from the catalogue ({', '.join(TECHNIQUES)}): "
            "propose a use case in which an AI system does the work"
        )
    elif similarity(uc.solution, uc.problem) >= DUPLICATE_SIMILARITY:
        reasons.append(
            f"its solution restates its problem: say what the AI ({uc.technique}) does about it, what it "
            "reads and what it produces"
        )
    elif not _AI_WORDS.search(uc.solution):
        reasons.append(
            f"its solution does not say what the AI ({uc.technique}) does: describe the model or "
            "assistant, what it reads and what it produces"
        )
    bare_title = GENERIC_TITLE_WORDS.sub(" ", uc.title)
    if uc.technique in TECHNIQUES and similarity(bare_title, uc.technique) >= THEME_TITLE_SIMILARITY:
        reasons.append(
            f"{TITLE_REASON} {uc.title!r} only names its technique: name what the AI does and the work it helps with"
        )
    theme = next((t for t in themes if similarity(uc.title, t) >= THEME_TITLE_SIMILARITY), None)
    if theme is not None and not _AI_WORDS.search(uc.title):
        reasons.append(
            f"{TITLE_REASON} {uc.title!r} only names the evidence theme {theme!r}: name what the AI does "
            "and for whom"
        )
    return reasons


def problem_citations(uc: UseCase, shown: set[str]) -> list[str]:
    return [sid for sid in dict.fromkeys(CITATION.findall(uc.problem)) if sid in shown]


def uncited_problem(uc: UseCase, scorer: SupportScorer, shown: set[str]) -> str | None:
    """None when some sentence of the problem is supported by a passage it cites."""
    cited = problem_citations(uc, shown)
    if not cited:
        return (
            "its problem cites no passage: state the company problem as a passage shows it, with a "
            "fact or figure from it, and put the passage id in square brackets right after that fact"
        )
    for sentence in sentences(uc.problem):
        ids = [sid for sid in CITATION.findall(sentence.text) if sid in shown] or cited
        if any(scorer.score(_plain(sentence.text), sid) >= SUPPORT_THRESHOLD for sid in ids):
            return None
    marks = " ".join(f"[{sid}]" for sid in cited)
    return (
        f"its problem's citation {marks} does not hold what the problem says: state the problem with "
        "the passage's own facts and figures, or cite the passage that holds them"
    )


def duplicate_of(uc: UseCase, other: UseCase, number: int, *, lists: bool = True) -> str | None:
    if similarity(uc.title, other.title) >= DUPLICATE_SIMILARITY:
        return f"{TITLE_REASON} repeats use case {number} ({other.title!r}): propose a different use case"
    if similarity(uc.problem, other.problem) >= DUPLICATE_SIMILARITY:
        return (
            f"it answers the same problem as use case {number} ({other.title!r}): choose another "
            "problem the documents show"
        )
    if lists and similarity(_lists(uc), _lists(other)) >= LISTS_SIMILARITY:
        return f"its data and risks repeat use case {number} ({other.title!r}): propose a different use case"
    return None


def attach_problem_citation(uc: UseCase, scorer: SupportScorer, shown: set[str]) -> UseCase:
    """A problem that cites nothing but states what one of the use case's cited passages holds
    gets that citation: the pipeline's repair, no model call."""
    if problem_citations(uc, shown):
        return uc
    text = _plain(uc.problem)
    ranked = scorer.ranked(text, [c for c in uc.citations if c in shown])
    if ranked and ranked[0][1] >= SUPPORT_THRESHOLD:
        problem = uc.problem.rstrip()
        end = problem[-1] if problem[-1] in ".!?" else ""
        cited = f"{problem.removesuffix(end).rstrip()} [{ranked[0][0]}]{end or '.'}"
        return uc.model_copy(update={"problem": cited})
    return uc
