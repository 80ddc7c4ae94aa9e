"""Hyphens at line breaks in PDF text: a word the typesetter split is joined, a hyphenated
compound keeps its hyphen.

PDFium marks a hyphen that ends a line before a letter with U+FFFE and drops the line
break: "same\ufffeday", "infor\ufffemation". Both are drawn "same-" and
"infor-" on the page, so the page alone cannot tell them apart. The document can: it is the
best dictionary of its own words, in its own language. The rule, first match wins:

1. the part before ends in, or the part after starts with, something other than a lower-case
   letter ("Anglo-Saxon", "COVID-19"), or the part before is itself hyphenated
   ("state-of-the-art"): keep the hyphen;
2. the document uses the joined word elsewhere ("information"): join;
3. the document uses the hyphenated form elsewhere ("same-day"): keep;
4. the document uses both parts as words of their own ("same" and "day"): keep;
5. otherwise at least one part is no word of this document ("infor", "mation"): join.

"Elsewhere" means in the document's text outside the line-break hyphens themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_MARK = "\ufffe"
_WORD = re.compile(r"\w+(?:-\w+)*")
_AFTER = re.compile(r"\w+")


def _before(text: str, end: int) -> int:
    """Where the word (letters, inner hyphens) that ends at `end` starts; `end` if none does."""
    start = end
    while start > 0 and text[start - 1].isalpha():
        start -= 1
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            start -= 1
    return start


def _breaks(text: str) -> list[tuple[int, int, int]]:
    """(start of the word before, the mark, end of the word after) for each mark between two words."""
    found = []
    mark = text.find(_MARK)
    while mark != -1:
        start = _before(text, mark)
        after = _AFTER.match(text, mark + 1)
        if start < mark and after is not None:
            found.append((start, mark, after.end()))
        mark = text.find(_MARK, mark + 1)
    return found


class _Vocabulary:
    """The document's words (case-folded), not counting the parts of the words split at marks."""

    def __init__(self, texts: Sequence[str], breaks: list[list[tuple[int, int, int]]]) -> None:
        self.counts = Counter(_WORD.findall("\n".join(texts).replace(_MARK, " ").casefold()))
        for compound in [word for word in self.counts if "-" in word]:
            for part in compound.split("-"):
                self.counts[part] += self.counts[compound]
        for text, spans in zip(texts, breaks, strict=True):
            for start, mark, end in spans:
                self.counts[text[start:mark].casefold()] -= 1
                self.counts[text[mark + 1 : end].casefold()] -= 1

    def __contains__(self, word: str) -> bool:
        return self.counts.get(word, 0) > 0


def _keeps_hyphen(before: str, after: str, words: _Vocabulary) -> bool:
    if not before[-1].islower() or not after[0].islower() or "-" in before:
        return True
    head, tail = before.casefold(), after.casefold()
    if head + tail in words:
        return False
    if f"{head}-{tail}" in words:
        return True
    return head in words and tail in words


def join_line_breaks(texts: Sequence[str]) -> list[str]:
    """Every page's text with PDFium's line-break hyphen marks resolved, judged against the
    words of all the pages together."""
    if not any(_MARK in text for text in texts):
        return list(texts)
    breaks = [_breaks(text) if _MARK in text else [] for text in texts]
    words = _Vocabulary(texts, breaks)
    resolved = []
    for text, spans in zip(texts, breaks, strict=True):
        parts, done = [], 0
        for start, mark, end in spans:
            before, after = text[start:mark], text[mark + 1 : end]
            parts += [text[done:mark], "-" if _keeps_hyphen(before, after, words) else ""]
            done = mark + 1
        parts.append(text[done:])
        resolved.append("".join(parts).replace(_MARK, "-"))
    return resolved
