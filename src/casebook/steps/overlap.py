"""Copied text: how much of a paragraph repeats another text word for word.

A paragraph's word 6-grams (lower-cased words and figures; citation markers, Markdown and
punctuation left out) are looked up in the other text's. Six words in a row are rarely shared by
chance: a summary that names the company, a figure and its year shares a 6-gram or two with
Part A, a copied sentence shares all of its own. A paragraph of at least MIN_WORDS words is
copied when COPIED_SHARE of its 6-grams occur in the source; a text is copied when any paragraph
is, or when COPIED_SHARE of all its 6-grams are (short copied sentences spread over paragraphs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NGRAM = 6
COPIED_SHARE = 0.5
MIN_WORDS = 12
_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*")
_CITATION = re.compile(r"\[(?:S\d{1,4}|\d{1,4})(?:[,;]\s*(?:S\d{1,4}|\d{1,4}))*\]")


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(_CITATION.sub(" ", text))]


def ngrams(tokens: list[str], n: int = NGRAM) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def paragraphs(markdown: str) -> list[str]:
    """Blocks of text between blank lines, headings left out."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", markdown)]
    return [b for b in blocks if b and not b.lstrip().startswith("#")]


@dataclass(frozen=True)
class Copied:
    source: str  # what it repeats, e.g. "Part A" or "the intake form"
    share: float  # of the text's (or the paragraph's) 6-grams found in the source
    excerpt: str  # the opening words of the copied paragraph

    def reason(self, what: str) -> str:
        return (
            f"{what} repeats {self.source} word for word ({self.share:.0%} of its six-word runs, e.g. "
            f"“{self.excerpt}…”): write it in your own words, saying what the findings mean for the "
            "company's decisions rather than restating them"
        )


def copied_from(text: str, sources: dict[str, str]) -> Copied | None:
    """The first source (by name) that `text` copies, by the rule above, or None."""
    grams = {name: ngrams(words(src)) for name, src in sources.items() if src.strip()}
    every = ngrams(words(text))
    for name, held in grams.items():
        for block in paragraphs(text):
            tokens = words(block)
            own = ngrams(tokens)
            if len(tokens) >= MIN_WORDS and own:
                share = len(own & held) / len(own)
                if share >= COPIED_SHARE:
                    return Copied(name, share, " ".join(tokens[:8]))
        if every:
            share = len(every & held) / len(every)
            if share >= COPIED_SHARE:
                return Copied(name, share, " ".join(words(text)[:8]))
    return None


def overlap_share(text: str, source: str) -> float:
    """Share of `text`'s 6-grams that occur in `source` (0 for a text shorter than six words)."""
    own = ngrams(words(text))
    return len(own & ngrams(words(source))) / len(own) if own else 0.0
