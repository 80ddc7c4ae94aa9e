"""The fact a use case written on its own starts from (a small model's slot): its problem.

A problem is a sentence of the company's documents that names a pain, cited: from the slot's
evidence theme, else from another theme, else from the run's passages beside their picked facts,
and only then a plain fact. Never one another use case's problem states already (the same figure,
similar words, or the same work for the same technique), nor one that leans on the sentence
before it ("Agents then attach the image to an email by hand").
"""

from __future__ import annotations

import re

from casebook.models import Evidence, EvidenceItem, Passage, Theme, UseCase
from casebook.steps.claims import sentences
from casebook.steps.evidence_extract import leans_on_previous, names_pain
from casebook.steps.figures import figures
from casebook.steps.support import content_words
from casebook.steps.use_case_checks import CITATION, similarity
from casebook.steps.use_case_plan import choose_technique

RESTATED = 0.35  # Jaccard of stemmed content words above which two problems are one


def choose_seed(evidence: Evidence, theme: Theme | None, passages: list[Passage], others: list[UseCase]) -> str | None:
    """The cited fact this slot's use case starts from (see the module's docstring); without a
    theme, the first sentence with a figure of the slot's first passage; None when there is none."""
    used = {sid for uc in others for sid in CITATION.findall(uc.problem)}
    if theme is not None:
        # not a fact another problem states already, from another passage ("agency labour cost
        # EUR 6.2 million" twice), nor one that leans on the sentence before it ("Agents then
        # attach the image to an email by hand")
        def fresh(items: list[EvidenceItem]) -> list[EvidenceItem]:
            return [
                i
                for i in items
                if i.source not in used and not restates(i.fact, others) and not leans_on_previous(i.fact)
            ]

        # a fact that names a pain first, then one with a figure: "agency labour rose to EUR 6.2
        # million because volumes were forecast by hand" is a problem to answer, "we invested
        # EUR 0.9 million in training" is not; a theme without a pain of its own takes the
        # first pain another theme has left ("we reserved EUR 1.8 million for AI" is no problem)
        own = fresh(theme.items)
        pains = [i for i in own if names_pain(i.fact)]
        if not pains:
            pains = [i for t in evidence.themes for i in fresh(t.items) if names_pain(i.fact)]
        for item in sorted(pains, key=lambda i: not figures(i.fact)):
            return f"{item.fact.rstrip('.')} [{item.source}]."
        # no theme has a pain left: one the run's passages state beside their picked facts, before
        # a plain fact ("We expect revenue of EUR 158 to 162 million in 2026" is no problem)
        found = _passage_pain(evidence, used, others)
        if found is not None:
            return found
        for item in sorted(own, key=lambda i: not figures(i.fact)):
            return f"{item.fact.rstrip('.')} [{item.source}]."
    for passage in passages[:1]:
        for sentence in sentences(passage.text):
            text = " ".join(CITATION.sub("", sentence.text).split()).rstrip(".").lstrip("… ")
            alone = "|" not in text and not leans_on_previous(text)
            if 6 <= len(text.split()) <= 40 and re.search(r"\d", text) and alone:
                return f"{text} [{passage.source_id}]."
    return None


def _passage_pain(evidence: Evidence, used: set[str], others: list[UseCase]) -> str | None:
    """A whole sentence of a run passage that names a pain no other problem states, cited."""
    for passage in evidence.passages:
        if passage.source_id in used:
            continue
        for sentence in sentences(passage.text):
            text = " ".join(CITATION.sub("", sentence.text).split()).lstrip("… ")
            whole = text.endswith(".") and "…" not in text and "|" not in text
            if not whole or not 8 <= len(text.split()) <= 40 or not names_pain(text):
                continue
            if not leans_on_previous(text) and not restates(text, others):
                return f"{text.rstrip('.')} [{passage.source_id}]."
    return None


def restates(fact: str, others: list[UseCase]) -> bool:
    """The fact states a figure another use case's problem states (the same cost said twice),
    reads like it, or is about the same work for the same technique ("agency staff are booked at
    24 hours notice" beside "agency labour rose to EUR 6.2 million", both forecasting)."""
    stated = {f.text for f in figures(fact) if len(f.text) > 2}
    words = content_words(fact)
    technique = choose_technique(fact, [])
    for uc in others:
        if stated & {f.text for f in figures(uc.problem)} or similarity(fact, uc.problem) >= RESTATED:
            return True
        if uc.technique == technique and len(words & content_words(CITATION.sub(" ", uc.problem))) >= 2:
            return True
    return False
