"""The plan of a use case written on its own (a small model's call): its technique and, when the
model's own title fails, the words its title is made of.

A 0.5B model given the whole catalogue picks its first entry every time: on the sample company
Qwen2.5-Coder-0.5B titled five use cases in a row "Data Extraction", each
"document understanding/extraction", whatever the problem. The pipeline instead reads the
problem the slot starts from (its cited fact and evidence theme) and names the technique whose
signal words it shares most, unlike the techniques earlier slots took where another fits; the
model then writes the use case around that technique (its schema allows no other).

Asked for a new title, the same model answered the title it had just been told was rejected
("AI Use Case: Document Understanding/Extraction", five times in a row). So a title asked again
is a choice: the pipeline lists phrases of the problem's own words (2 to 4 words, the rarest in
the run's passages first, none another title has), the schema allows only those, and the title is
"<technique> for <phrase>": "Forecasting for temporary agency labour".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from casebook.documents.index import STOP_WORDS
from casebook.models import TECHNIQUES
from casebook.steps.support import content_words

CITATION_MARK = re.compile(r"\[S\d{1,4}\]")

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
        "capacity trucks loads kilometres empty hub hubs transfer transfers transferred network",
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


# How a title names each technique: "<name> for <the work, in the problem's own words>".
TITLE_NAMES: dict[str, str] = {
    "document understanding/extraction": "Document extraction",
    "retrieval assistant": "Retrieval assistant",
    "forecasting": "Forecasting",
    "classification/routing": "Classification and routing",
    "anomaly detection": "Anomaly detection",
    "optimisation/scheduling": "Optimised scheduling",
    "generative drafting": "Drafting assistant",
    "conversational agent": "Conversational agent",
    "computer vision": "Computer vision",
    "recommendation": "Recommendations",
}
_WORDS = re.compile(r"[A-Za-zÀ-ɏ][\w&'’-]*|\d[\d.,%]*|[^\w\s]")
# a title's phrase neither starts nor ends with a small word or an amount ("EUR", "million")
_EDGE_TEXT = (
    "also every many much still whose per cent percent eur usd gbp hundred thousand million billion "
    "another other others one each"  # "system to another": half of "from one system to another"
)
_EDGE_STOP = STOP_WORDS | frozenset(_EDGE_TEXT.split())
PHRASES = 8  # choices a small model is given for its title


def title_phrases(problem: str, weight: Mapping[str, float], exclude: Sequence[str] = ()) -> list[str]:
    """Phrases of 2 to 4 words of the problem that could name the work its AI helps with: no
    figure, punctuation or small word at their edges, heaviest first (`weight`: a stemmed word's
    weight, e.g. its idf over the run's passages), none a title already names; single words when
    no phrase is left."""
    tokens = _WORDS.findall(CITATION_MARK.sub(" ", problem))
    taken = [content_words(t) for t in exclude]
    scored: dict[str, float] = {}
    for size in (2, 3, 4):
        for start in range(len(tokens) - size + 1):
            words = tokens[start : start + size]
            if not all(w[0].isalpha() for w in words):
                continue
            if words[0].casefold() in _EDGE_STOP or words[-1].casefold() in _EDGE_STOP:
                continue
            if any(_verb(w) for w in words):
                continue  # "agency labour rose": a title names the work, not what happened
            if any(w.casefold() in ("a", "an", "the", "and", "or") for w in words[1:-1]):
                continue  # "step and a risk", "image to an email": two things, or half of one
            phrase = _as_written(" ".join(words), opens_sentence=start == 0)
            stems = content_words(phrase)
            if len(stems) < 2 or any(stems <= t for t in taken):
                continue
            scored[phrase] = sum(weight.get(s, 0.0) for s in stems) / (1 + 0.15 * size)
    if not scored:  # every phrase is another title's: single words of its own ("overtime")
        for start, word in enumerate(tokens):
            stems = content_words(word)
            usable = word[0].isalpha() and not _verb(word) and word.casefold() not in _EDGE_STOP
            if usable and stems and not any(stems <= t for t in taken):
                scored[_as_written(word, opens_sentence=start == 0)] = sum(weight.get(s, 0.0) for s in stems)
    ranked = sorted(scored, key=lambda p: -scored[p])
    return ranked[:PHRASES]


# verbs that name what happened, not the work ("agency labour rose"); those that are nouns too
# ("match", "plan", "forecast") name the work badly ("Document extraction for match thousands of
# invoices"), and "then" joins two actions
_VERB_TEXT = """
add adds also are attach be book build builds can cause causes copy cost costs could did do
does estimate estimates fell forecast get gets got grew had handle handles has have is keep
keeps list lists make makes match may must need needs plan point points require requires rose
run runs search set sets should spend spends take takes then was were will would
praise praises criticise criticises criticize criticizes complain complains
"""
_VERBS = frozenset(_VERB_TEXT.split())


def _as_written(text: str, *, opens_sentence: bool) -> str:
    """The text with the capital only its place at the sentence's start gave it lowered ("Venlo",
    "EDI" keep theirs)."""
    if opens_sentence and not text[1:2].isupper():
        return text[0].lower() + text[1:]
    return text


def _verb(word: str) -> bool:
    low = word.casefold()
    return low in _VERBS or (low.endswith("ed") and len(low) > 4 and low not in _ADJECTIVES)


_ADJECTIVE_TEXT = "automated dedicated detailed experienced limited outdated scheduled skilled"
_ADJECTIVES = frozenset(_ADJECTIVE_TEXT.split())  # past participles that stay


def compose_title(technique: str | None, phrase: str) -> str:
    return f"{TITLE_NAMES.get(technique or '', 'AI assistant')} for {phrase}"
