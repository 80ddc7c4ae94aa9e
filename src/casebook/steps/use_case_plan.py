"""The plan of a use case written on its own (a small model's call): the technique it uses.

A 0.5B model given the whole catalogue picks its first entry every time: on the sample company
Qwen2.5-Coder-0.5B titled five use cases in a row "Data Extraction", each
"document understanding/extraction", whatever the problem. The pipeline instead reads the
problem the slot starts from (its cited fact and evidence theme) and names the technique whose
signal words it shares most, unlike the techniques earlier slots took where another fits; the
model then writes the use case around that technique (its schema allows no other).
"""

from __future__ import annotations

from collections.abc import Sequence

from casebook.models import TECHNIQUES
from casebook.steps.support import content_words

# What a problem says when a technique answers it (stemmed like every other comparison).
SIGNALS: dict[str, frozenset[str]] = {
    technique: content_words(words)
    for technique, words in {
        "document understanding/extraction": "invoice invoices document documents pdf form forms paper contract "
        "contracts proof proofs delivery scan attachment typed matching match",
        "retrieval assistant": "knowledge search find information rules policy policies manual bible experience "
        "documentation lookup",
        "forecasting": "forecast forecasts forecasting demand volume volumes predict peak week weekly estimate "
        "agency labour staffing",
        "classification/routing": "ticket tickets email emails request requests category triage route queue "
        "complaint complaints enquiries",
        "anomaly detection": "damage damages claim claims error errors fraud anomaly deviation exception "
        "mismatch duplicate duplicates outdated quality",
        "optimisation/scheduling": "route routes tour tours planning planners schedule scheduling slot slots "
        "capacity trucks loads kilometres empty",
        "generative drafting": "draft report reports write writing text summary proposal tender letters",
        "conversational agent": "customer customers questions answers phone calls chat wismo portal service "
        "agents contact",
        "computer vision": "image images photo photos camera video visual pictures",
        "recommendation": "recommend offer offers product products suggest cross-sell pricing",
    }.items()
}


def choose_technique(problem: str, taken: Sequence[str]) -> str:
    """The catalogue technique whose signals the problem shares most; among equals, or when the
    best one is taken, the next that shares any; a technique no earlier slot took before one that
    was (catalogue order breaks ties)."""
    words = content_words(problem)
    ranked = sorted(
        TECHNIQUES,
        key=lambda t: (-len(words & SIGNALS[t]), TECHNIQUES.index(t)),
    )
    fitting = [t for t in ranked if words & SIGNALS[t]]
    for technique in fitting:
        if technique not in taken:
            return technique
    if fitting:
        return fitting[0]  # every fitting technique is taken: the best one again, for another problem
    return next((t for t in TECHNIQUES if t not in taken), TECHNIQUES[0])
