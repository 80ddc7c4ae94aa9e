"""Citations for the sentences a model wrote without one.

Qwen2.5-Coder-0.5B's Part A restated facts of the evidence without their passage ids ("The IT &
Data team has 14 people …"): true, but a reader cannot check them, and the citation check
(`casebook.steps.verify`) only judges sentences that cite. Here each uncited sentence of a
model's prose is scored against the run's passages as verify scores a cited one
(`casebook.steps.support`): the best passage that supports it and holds every figure it states
is cited after it. A sentence that states a share or an amount (63%, EUR 4.2 million) that no
passage and not the intake form holds is dropped: that is a figure the model made up. Other
uncited sentences (a judgement, a duration, a year) stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from casebook.steps.claims import sentences
from casebook.steps.figures import MONEY, FigureSet, figures
from casebook.steps.support import SUPPORT_THRESHOLD, SupportScorer, content_words

_EMPTY_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]*(?:\n|$)", re.MULTILINE)
MIN_WORDS = 4  # content words a sentence needs before it is worth a citation
_SCALED = re.compile(r"\d\s*(?:million|billion)\b", re.I)  # a large count without its currency counts too


@dataclass
class Linked:
    markdown: str
    cited: list[str] = field(default_factory=list)  # the sentences given a citation
    dropped: list[str] = field(default_factory=list)  # the sentences with a made-up share or amount


def link_uncited(markdown: str, passages: Mapping[str, str], intake: str = "") -> Linked:
    """`markdown` with each uncited sentence that a passage supports cited (`[S3]`, from the keys
    of `passages`), and each that states an unfounded share or amount left out."""
    scorer = SupportScorer(passages)
    known = FigureSet.of(intake)
    result = Linked(markdown)
    edits: list[tuple[int, int, str]] = []
    for sentence in sentences(markdown):
        if sentence.citations or sentence.heading:
            continue
        claim = sentence.claim
        if len(content_words(claim)) < MIN_WORDS:
            continue
        stated = figures(claim)
        supporting = (
            key
            for key, score in scorer.ranked(claim)
            if score >= SUPPORT_THRESHOLD and all(scorer.figures[key].holds(f) for f in stated)
        )
        key = next(supporting, None)
        if key is not None:
            end = sentence.end - 1 if sentence.text[-1:] in ".!?" else sentence.end
            edits.append((end, end, f" [{key}]"))
            result.cited.append(claim)
            continue
        unfounded = [f for f in stated if not known.holds(f) and not any(h.holds(f) for h in scorer.figures.values())]
        amount = MONEY.search(claim) or _SCALED.search(claim)
        if any(f.text.endswith("%") for f in unfounded) or (unfounded and amount):
            end = sentence.end
            while end < len(markdown) and markdown[end] in " \t":
                end += 1  # the space before the next sentence goes with it
            edits.append((sentence.start, end, ""))
            result.dropped.append(claim)
    text = markdown
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    # a list item whose only sentence went goes with it (no empty bullet)
    result.markdown = _EMPTY_ITEM.sub("", text) if result.dropped else text
    return result
