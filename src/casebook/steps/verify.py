"""Verify: every citation must support the sentence it stands in, checked against the full text
of the passage it cites (from the index, not the shortened text the model was shown).

A citation supports its sentence when
- the sentence's figures are in the passage: each cited passage must hold at least one of them
  and, together, the sentence's final citations must hold all (`casebook.steps.figures` says
  what is normalised; figures the intake form gave, such as the readiness score, are exempt);
- the sentence's quotations (three words or more in quote marks) occur in the passage
  (case, whitespace, quote marks and dashes normalised; "…" may join parts);
- the passage carries the sentence's content: lexical support at or above SUPPORT_THRESHOLD
  (`casebook.steps.support`), or a yes from the model check for a doubtful one.

A citation that does not is re-attributed to the run's passage (its evidence passages) that
does support the sentence, if one does; otherwise it is removed. A sentence stating a figure or
a quotation that none of its final citations holds is removed. The rest become numbered sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from casebook.documents.index import PassageIndex
from casebook.models import Evidence
from casebook.steps.claims import Citation, Sentence, normalise, quotations, quoted_in, sentences
from casebook.steps.figures import Figure, FigureSet, figures
from casebook.steps.support import SUPPORT_THRESHOLD, SupportScorer, Terms

DOUBT_BAND = (0.3, 0.7)  # lexical scores the model check is asked about (CASEBOOK_VERIFY=model)


@dataclass(frozen=True)
class Source:
    number: int
    file: str
    page: int | None
    excerpt: str


@dataclass(frozen=True)
class Doubt:
    """A sentence and a passage whose lexical score is near the threshold: the model may judge."""

    claim: str
    key: str
    passage: str
    score: float


@dataclass
class VerifiedReport:
    markdown: str
    citations_total: int = 0
    citations_supported: int = 0
    citations_reattributed: int = 0
    citations_removed: int = 0
    citations_added: int = 0  # passages added to a sentence beyond the citations it had
    sentences_removed: int = 0
    removed: list[str] = field(default_factory=list)  # the markers (ids, file refs) taken out
    sources: list[Source] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)  # one per cited sentence

    @property
    def citations_valid(self) -> int:
        """The old name of citations_supported."""
        return self.citations_supported

    def metrics(self) -> dict[str, int]:
        return {
            "citations_total": self.citations_total,
            "citations_supported": self.citations_supported,
            "citations_valid": self.citations_supported,
            "citations_reattributed": self.citations_reattributed,
            "citations_removed": self.citations_removed,
            "citations_added": self.citations_added,
            "sentences_removed": self.sentences_removed,
        }


@dataclass
class _Passage:
    key: str  # S3, or file#page for a direct reference
    file: str
    page: int | None
    text: str  # the full text
    figures: FigureSet


class Verifier:
    """The run's passages, resolved once; checks sentences against them."""

    def __init__(
        self,
        evidence: Evidence,
        index: PassageIndex,
        *,
        intake: str = "",
        threshold: float = SUPPORT_THRESHOLD,
        citations: list[Citation] | None = None,
    ) -> None:
        self.threshold = threshold
        self.known = FigureSet.of(intake)  # figures the intake form states: not the documents' to prove
        self.passages: dict[str, _Passage] = {}
        for p in evidence.passages:
            chunk = index.chunk(p.chunk_id)
            if chunk is not None:
                self.passages[p.source_id] = _Passage(p.source_id, p.file, p.page, chunk.text, FigureSet.of(chunk.text))
        self.run_keys = list(self.passages)  # what a citation may be re-attributed to
        for c in citations or []:
            if c.file is not None and (key := _file_key(c.file, c.page)) not in self.passages:
                text = "\n".join(ch.text for ch in index.iter_chunks(c.file) if ch.page == c.page)
                if text:
                    self.passages[key] = _Passage(key, c.file, c.page, text, FigureSet.of(text))
        self.scorer = SupportScorer({k: p.text for k, p in self.passages.items()})

    def keys_of(self, citation: Citation) -> list[str | None]:
        """The passage keys a marker cites, None for one that resolves to nothing."""
        if citation.file is not None:
            key = _file_key(citation.file, citation.page)
            return [key if key in self.passages else None]
        return [sid if sid in self.passages else None for sid in citation.source_ids]

    def claims_of(self, sentence: Sentence) -> tuple[str, list[Figure], list[str], Terms]:
        claim = sentence.claim
        stated = [f for f in figures(claim) if not self.known.holds(f)]
        return claim, stated, quotations(claim), self.scorer.terms(claim)

    def holds(self, key: str, stated: list[Figure], quotes: list[str]) -> set[int]:
        """Which of the sentence's figures (0…) and quotations (-1, -2 …) the passage holds."""
        passage = self.passages[key]
        held = {i for i, f in enumerate(stated) if passage.figures.holds(f)}
        held |= {-1 - j for j, q in enumerate(quotes) if quoted_in(q, passage.text)}
        return held


def doubtful(markdown: str, evidence: Evidence, index: PassageIndex, *, intake: str = "") -> list[Doubt]:
    """The (sentence, passage) pairs near the threshold whose figures and quotes check out."""
    cited = [s for s in sentences(markdown) if s.citations]
    verifier = Verifier(evidence, index, intake=intake, citations=[c for s in cited for c in s.citations])
    found: dict[tuple[str, str], Doubt] = {}
    for sentence in cited:
        claim, stated, quotes, terms = verifier.claims_of(sentence)
        needed = len(stated) + len(quotes)
        keys = [k for c in sentence.citations for k in verifier.keys_of(c) if k is not None]
        ranked = [k for k, _ in verifier.scorer.ranked(claim, verifier.run_keys) if k not in keys][:2]
        for key in keys + ranked:
            score = verifier.scorer.score(terms, key)
            if DOUBT_BAND[0] <= score < DOUBT_BAND[1] and (not needed or verifier.holds(key, stated, quotes)):
                found.setdefault((normalise(claim), key), Doubt(claim, key, verifier.passages[key].text, score))
    return list(found.values())


def verify_citations(
    markdown: str,
    evidence: Evidence,
    index: PassageIndex,
    *,
    intake: str = "",
    threshold: float = SUPPORT_THRESHOLD,
    verdicts: Mapping[tuple[str, str], bool] | None = None,
) -> VerifiedReport:
    """Check every cited sentence; returns the report with numbered sources and the counts.

    `verdicts` maps (normalised sentence, passage key) to the model check's yes or no.
    """
    cited = [s for s in sentences(markdown) if s.citations]
    verifier = Verifier(
        evidence, index, intake=intake, threshold=threshold, citations=[c for s in cited for c in s.citations]
    )
    result = VerifiedReport(markdown="")
    numbers: dict[tuple[str, int | None], int] = {}

    def number_for(key: str) -> int:
        passage = verifier.passages[key]
        where = (passage.file, passage.page)
        if where not in numbers:
            numbers[where] = len(numbers) + 1
            result.sources.append(Source(numbers[where], passage.file, passage.page, _excerpt(passage.text)))
        return numbers[where]

    edits: list[tuple[int, int, str]] = []
    for sentence in cited:
        decision = _decide(verifier, sentence, verdicts or {})
        result.decisions.append(decision.record())
        result.citations_total += decision.total
        if decision.remove_sentence:
            result.sentences_removed += 1
            result.citations_removed += decision.total
            result.removed += [markdown[c.start : c.end] for c in sentence.citations]
            edits.append((sentence.start, sentence.end, ""))
            continue
        result.citations_supported += decision.supported
        result.citations_reattributed += decision.reattributed
        result.citations_removed += decision.removed
        result.citations_added += decision.added
        result.removed += decision.removed_labels
        for marker, keys in zip(sentence.citations, decision.rendered, strict=True):
            edits.append((marker.start, marker.end, _render(list(dict.fromkeys(number_for(k) for k in keys)))))
    text = markdown
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    result.markdown = _tidy(text).rstrip() + "\n\n" + _sources_section(result.sources)
    return result


@dataclass
class _Decision:
    claim: str
    total: int = 0
    supported: int = 0
    reattributed: int = 0
    removed: int = 0
    added: int = 0
    remove_sentence: bool = False
    reason: str = ""
    rendered: list[list[str]] = field(default_factory=list)  # per marker: the passage keys it shows
    removed_labels: list[str] = field(default_factory=list)
    trail: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"sentence": self.claim, "removed": self.remove_sentence, "reason": self.reason, "citations": self.trail}


def _decide(verifier: Verifier, sentence: Sentence, verdicts: Mapping[tuple[str, str], bool]) -> _Decision:
    claim, stated, quotes, terms = verifier.claims_of(sentence)
    decision = _Decision(claim)
    needed = set(range(len(stated))) | {-1 - j for j in range(len(quotes))}

    def supports(key: str) -> tuple[bool, set[int], float]:
        held = verifier.holds(key, stated, quotes)
        score = verifier.scorer.score(terms, key)
        lexical = verdicts.get((normalise(claim), key), score >= verifier.threshold)
        return lexical and (not needed or bool(held)), held, score

    kept: list[list[str]] = []
    unsupported: list[tuple[int, str]] = []  # (marker index, label) of each citation that does not hold
    covered: set[int] = set()
    for m, citation in enumerate(sentence.citations):
        kept.append([])
        labels = list(citation.source_ids) or [f"{citation.file}, p. {citation.page}"]
        for label, key in zip(labels, verifier.keys_of(citation), strict=True):
            decision.total += 1
            ok, held, score = (False, set(), 0.0) if key is None else supports(key)
            decision.trail.append({"cited": label, "score": round(score, 3), "supported": ok})
            if ok and key not in {k for ks in kept for k in ks}:
                kept[m].append(key)  # type: ignore[arg-type]
                covered |= held
                decision.supported += 1
            elif ok:
                decision.supported += 1  # the same passage twice: one source number
            else:
                unsupported.append((m, label))
    missing = needed - covered
    added: list[str] = []
    if missing or not any(kept):
        added = _reattribute(verifier, claim, supports, {k for ks in kept for k in ks}, missing)
        for key in added:
            covered |= verifier.holds(key, stated, quotes)
        missing = needed - covered
    if missing and not sentence.heading:
        decision.remove_sentence = True
        what = [stated[i].text for i in sorted(i for i in missing if i >= 0)]
        what += [f"“{quotes[-1 - i]}”" for i in sorted(i for i in missing if i < 0)]
        decision.reason = f"no passage of the run supports {', '.join(what)}"
        return decision
    for i, (m, label) in enumerate(unsupported):
        if i < len(added):
            kept[m].append(added[i])
            decision.reattributed += 1
            decision.trail.append({"reattributed": label, "to": added[i]})
        else:
            decision.removed += 1
            decision.removed_labels.append(label)
    extra = added[len(unsupported) :]
    if extra:
        kept[-1] += extra
        decision.added += len(extra)
        decision.trail.append({"added": extra})
    decision.rendered = kept
    return decision


def _reattribute(verifier: Verifier, claim: str, supports: Any, taken: set[str], missing: set[int]) -> list[str]:
    """Run passages that support the sentence and hold what its citations miss, best first."""
    candidates = []
    for key, score in verifier.scorer.ranked(claim, verifier.run_keys):
        if key in taken:
            continue
        ok, held, _ = supports(key)
        if ok:
            candidates.append((key, held, score))
    chosen: list[str] = []
    if not missing:
        return [candidates[0][0]] if candidates else []
    while missing:
        best = max(candidates, key=lambda c: (len(c[1] & missing), c[2]), default=None)
        if best is None or not best[1] & missing:
            break
        chosen.append(best[0])
        missing = missing - best[1]
        candidates.remove(best)
    return chosen


def _file_key(file: str, page: int | None) -> str:
    return f"{file}#p{page}"


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+([.,;:])", r"\1", text)  # a removed citation leaves no gap before punctuation
    text = re.sub(r"(\S)[ \t]{2,}(\S)", r"\1 \2", text)
    lines = []
    for line in text.split("\n"):
        if re.fullmatch(r"\s*(?:>\s*)*(?:[-*+]|\d{1,3}[.)])?\s*", line) and line.strip():
            continue  # a list item or quote whose every sentence was removed
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _render(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"


def _sources_section(sources: list[Source]) -> str:
    lines = ["## Sources", ""]
    if not sources:
        lines.append("_No citation in this report could be resolved to a passage._")
    for s in sources:
        where = s.file + (f", p. {s.page}" if s.page else "")
        lines.append(f"{s.number}. {where} — “{s.excerpt}”")
    return "\n".join(lines) + "\n"
