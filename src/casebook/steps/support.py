"""Lexical support: how much of a sentence's content a passage carries, relative to the run.

A sentence and a passage are reduced to stemmed content words (Snowball English stemmer, stop
words left out) and figures (read as in `casebook.steps.figures`, so 41,200 and 41 200 are one
term). The score is the share of the sentence's terms that the passage contains, each term
weighted by its inverse document frequency over the run's passages (BM25's idf), so that terms
every passage has ("Northwind", "customer", "2025") count for little, a rare figure counts much,
and a passage is judged against the run's other passages. Terms that occur in none of the run's
passages (the report's own framing: "recommend", "opportunity") cannot tell passages apart and
are left out of the score. A passage that shares fewer than MIN_SHARED terms with the sentence
scores 0: one shared word ("invoices") is not support, however rare it is.

SUPPORT_THRESHOLD was measured on the sample company (examples/northwind-logistics/CLAIMS.md,
`python bench/verify_threshold.py`): see that script's output and the README.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache

import snowballstemmer

from casebook.documents.index import STOP_WORDS
from casebook.steps.figures import Figure, FigureSet, figures

SUPPORT_THRESHOLD = 0.5
MIN_SHARED = 2
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_EXTRA_STOP_TEXT = """also across per via within without using use used well like may might must shall
one two three etc vs upon whose whom yet still even already often every"""
_EXTRA_STOP = frozenset(_EXTRA_STOP_TEXT.split())


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer().stemWord(word))  # pure Python and slow: each distinct word once


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    """The stemmed content words of `text`."""
    words = {w.casefold().replace("’", "'").split("'")[0] for w in _WORD.findall(text)}
    return frozenset(_stem(w) for w in words if len(w) > 1 and w not in STOP_WORDS and w not in _EXTRA_STOP)


class SupportScorer:
    """Scores sentences against a fixed set of passages (the run's), keyed by any id."""

    def __init__(self, passages: Mapping[str, str]) -> None:
        self.words = {key: content_words(text) for key, text in passages.items()}
        self.figures = {key: FigureSet.of(text) for key, text in passages.items()}
        df: Counter[str] = Counter()
        for words in self.words.values():
            df.update(words)
        self.n = len(self.words)
        self.idf = {w: self._idf(f) for w, f in df.items()}

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def terms(self, sentence: str) -> Terms:
        """A sentence's words and figures, with the weight each carries in this run."""
        words = {w: self.idf[w] for w in content_words(sentence) if w in self.idf}
        weighted = []
        for figure in figures(sentence):
            holders = frozenset(k for k, found in self.figures.items() if found.holds(figure))
            if holders:
                weighted.append((figure, holders, self._idf(len(holders))))
        return Terms(words, weighted)

    def score(self, sentence: str | Terms, key: str) -> float:
        terms = self.terms(sentence) if isinstance(sentence, str) else sentence
        total = sum(terms.words.values()) + sum(w for _, _, w in terms.figures)
        if total == 0:
            return 0.0
        held = self.words.get(key, frozenset())
        shared = [w for word, w in terms.words.items() if word in held]
        shared += [w for _, holders, w in terms.figures if key in holders]
        return sum(shared) / total if len(shared) >= MIN_SHARED else 0.0

    def ranked(self, sentence: str, keys: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """Passages by score, best first."""
        terms = self.terms(sentence)
        scored = [(key, self.score(terms, key)) for key in (keys if keys is not None else self.words)]
        return sorted(scored, key=lambda pair: -pair[1])


class Terms:
    def __init__(self, words: dict[str, float], weighted: list[tuple[Figure, frozenset[str], float]]) -> None:
        self.words = words
        self.figures = weighted
