"""Tidy the short texts a small model writes into a schema's fields.

A small model fills a field up to its length limit and stops mid-sentence ("…, which can help"),
and Qwen2.5 models drift into Chinese mid-sentence ("which can help他们"). Both would reach the
report as text a reader notices. A field's text is cut back to its last whole sentence, else to
its last whole clause (ended with a full stop), and ideographs are taken out of text that is
otherwise written in a Latin script. Text that already ends well is left as it is.
"""

from __future__ import annotations

import re

from casebook.models import UseCase
from casebook.steps.use_case_checks import similarity

REPEATED = 0.6  # stemmed-word Jaccard at which two of a use case's texts say the same

_IDEOGRAPHS = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]+")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_ENDS_WELL = re.compile(r"[.!?][\"”’')\]]*\s*$")  # a full stop, then perhaps a closing quote or bracket
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_CLAUSE_END = re.compile(r"[,;:](?=\s)")
_DANGLING = frozenset(
    ("a", "an", "and", "the", "to", "of", "for", "with", "which", "that", "by", "or", "in", "on", "as", "at", "from")
)
MIN_WORDS = 4  # a shorter remainder is no sentence: the text is kept whole, with a full stop


def tidy(text: str) -> str:
    """`text` ending on a whole sentence, without ideographs in Latin-script prose."""
    text = text.strip()
    if _IDEOGRAPHS.search(text) and len(_LATIN.findall(text)) > len(_IDEOGRAPHS.findall(text)):
        text = " ".join(_IDEOGRAPHS.sub(" ", text).split())
    if not text or _ENDS_WELL.search(text):
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    for end in reversed(ends):
        if len(text[:end].split()) >= MIN_WORDS:
            return text[:end]
    clauses = [m.start() for m in _CLAUSE_END.finditer(text)]
    for end in reversed(clauses):
        if len(text[:end].split()) >= MIN_WORDS:
            return text[:end] + "."
    words = text.split()
    while len(words) > MIN_WORDS and words[-1].casefold() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(",;:-") + "."


_LABEL = re.compile(r"^(?:AI\s+)?use[\s-]+case(?:\s+\d+)?\s*[:\-–—]\s*", re.IGNORECASE)


def tidy_use_case(uc: UseCase) -> UseCase:
    """Every prose field of a use case tidied (list items keep their own form: no full stop added)."""
    prose = ("solution", "expected_impact", "impact_reason", "effort_reason", "value_reason")
    update: dict[str, object] = {key: tidy(getattr(uc, key)) for key in prose if getattr(uc, key)}
    for key in ("kpis", "data_needed", "risks"):
        update[key] = [_item(t) for t in getattr(uc, key) if _item(t)]
    title = " ".join(_IDEOGRAPHS.sub(" ", uc.title).split()) or uc.title
    update["title"] = _LABEL.sub("", title) or title  # "AI Use Case: Document Extraction …": the label goes
    # a reason that says again what another reason or the solution said is left out (the score
    # stands alone): a small model gave the same sentence for impact, effort and value
    said = [str(update.get("solution", "")), str(update.get("expected_impact", ""))]
    for key in ("impact_reason", "effort_reason", "value_reason"):
        reason = str(update.get(key, ""))
        if reason and any(similarity(reason, earlier) >= REPEATED for earlier in said if earlier):
            update[key] = ""
        said.append(reason)
    return uc.model_copy(update=update)


def _item(text: str) -> str:
    tidied = tidy(text)
    return tidied[:-1] if tidied.endswith(".") and not text.strip().endswith(".") else tidied
