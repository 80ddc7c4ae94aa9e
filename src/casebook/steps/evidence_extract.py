"""Evidence without a model: the passages' own sentences, grouped by theme.

A 0.5B–1.5B model asked to pull facts and quotes out of passages paraphrases, merges and
misattributes them: on the sample company Qwen2.5-Coder-0.5B wrote nine items ("The IT & Data
team has 612 employees", cited to three passages in turn) and the check dropped all nine, after
103 seconds. For such a model (a model set with `evidence_from = "passages"`) the pipeline
picks the evidence itself, with no call: every fact is a sentence of its passage, quoted
verbatim, so it passes the evidence check by construction and later steps cite real text.

The pick reads a pool of passages larger than the run keeps (the searches' next hits too), in
their whole text rather than the prefix a model would be shown. A sentence belongs to a theme
by the stemmed content words it shares with the theme's query (`casebook.steps.themes.PICKING_THEMES`);
a sentence that states a figure, or that names a pain (manual work, errors, delays,
complaints), counts for more, and past two shared words only those count, since an AI use case
answers a problem. Each sentence serves one
theme, each theme takes at most two sentences of a passage, and themes are ordered by the pains
they found (then by score), so the first use cases start from the clearest problems. The run then keeps the passages
the picked sentences come from, each shown as the part of its text around them, and fills the
rest of its passage budget from the pool in search order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from casebook.models import EvidenceItem, Passage, Theme
from casebook.steps.claims import sentences
from casebook.steps.figures import figures
from casebook.steps.support import content_words
from casebook.steps.themes import PICKING_THEMES, ThemeQuery
from casebook.steps.use_case_checks import similarity

MIN_WORDS, MAX_WORDS = 6, 45
FACT_CHARS, QUOTE_CHARS = 300, 200  # EvidenceItem's limits
PER_PASSAGE = 2  # sentences one theme takes from one passage
REPEAT_SIMILARITY = 0.5  # stemmed-word Jaccard at which a sentence restates one already taken
# one shared word and a figure or a pain, or two shared words ("warehouse" alone is not a theme)
MIN_SCORE = 2.0
PAIN = content_words(
    "manual manually hand spreadsheet excel paper error errors mistake delay delays late backlog "
    "complaint complaints rework duplicate waiting lost slow hours overtime missing outdated weak"
)


def names_pain(text: str) -> bool:
    """The sentence names a pain (manual work, errors, delays, complaints …)."""
    return bool(content_words(text) & PAIN)


_EMPHASIS = re.compile(r"(\*\*|__|`)")
_STARTS_WELL = re.compile(r"^[\"“'(\[]?[A-Z0-9€$£]")
_RUNNING_HEADER = re.compile(r"\bpage \d+ of \d+\b", re.IGNORECASE)  # a PDF page's header run into the text


@dataclass(frozen=True)
class _Candidate:
    text: str
    source: str
    order: int  # the passage's rank in the pool, then the sentence's place in it
    start: int  # span in the passage's whole text
    end: int
    words: frozenset[str]
    figure: bool  # it states one
    pain: bool  # it names one

    @property
    def weight(self) -> float:
        """What a figure and a named pain add to the words it shares with a theme."""
        return float(self.figure) + float(self.pain)


@dataclass(frozen=True)
class Picked:
    themes: list[Theme]
    passages: list[Passage]  # the run's passages, numbered S1.. in this order


def pick_evidence(
    pool: Sequence[Passage],
    full_texts: Mapping[str, str],
    *,
    limit: int,
    chars: int,
    themes: int,
    facts: int,
) -> Picked:
    """At most `themes` themes of at most `facts` items each, every item a sentence of its
    passage, and the run's `limit` passages (those the items come from first)."""
    texts = {p.source_id: full_texts.get(p.source_id) or p.text for p in pool}
    candidates = _candidates(pool, texts)
    used: list[str] = []  # the sentences taken
    found: list[tuple[float, int, ThemeQuery, list[_Candidate]]] = []
    for position, spec in enumerate(PICKING_THEMES):
        picked = _pick(spec, candidates, used, facts)
        if picked:
            pains = sum(c.pain for _, c in picked)  # problems first: each use case answers one
            found.append((pains + sum(score for score, _ in picked) / 100, position, spec, [c for _, c in picked]))
    found.sort(key=lambda entry: (-entry[0], entry[1]))
    found = found[:themes]

    by_source: dict[str, list[_Candidate]] = {}
    for *_, chosen in found:
        for c in chosen:
            by_source.setdefault(c.source, []).append(c)
    keep = list(by_source)[:limit]
    keep += [p.source_id for p in pool if p.source_id not in by_source][: max(0, limit - len(keep))]
    renumber = {old: f"S{n}" for n, old in enumerate(keep, start=1)}
    originals = {p.source_id: p for p in pool}
    passages = [
        originals[old].model_copy(
            update={
                "source_id": new,
                "text": _window(texts[old], by_source[old], chars) if old in by_source else originals[old].text,
            }
        )
        for old, new in renumber.items()
    ]
    result = []
    for _, _, spec, chosen in found:
        items = [
            EvidenceItem(fact=c.text, quote=_quote(c.text), source=renumber[c.source])
            for c in chosen
            if c.source in renumber
        ]
        if items:
            result.append(Theme(name=spec.name, summary="", items=items))
    return Picked(result, passages)


def _pick(
    spec: ThemeQuery, candidates: list[_Candidate], used: list[str], facts: int
) -> list[tuple[float, _Candidate]]:
    query = content_words(spec.query)
    scored = []
    for c in candidates:
        shared = min(len(c.words & query), 2)  # past two shared words, a figure or a pain decides
        if shared and shared + c.weight >= MIN_SCORE and c.text not in used:
            scored.append((shared + c.weight, c))
    scored.sort(key=lambda pair: (-pair[0], pair[1].order))
    picked: list[tuple[float, _Candidate]] = []
    per_passage: dict[str, int] = {}
    for score, c in scored:
        if len(picked) == facts:
            break
        if any(similarity(c.text, earlier) >= REPEAT_SIMILARITY for earlier in used):
            continue  # the same fact in another document ("Our IT and data team has 14 people")
        if per_passage.get(c.source, 0) < PER_PASSAGE:
            used.append(c.text)
            per_passage[c.source] = per_passage.get(c.source, 0) + 1
            picked.append((score, c))
    return picked


def _candidates(pool: Sequence[Passage], texts: Mapping[str, str]) -> list[_Candidate]:
    """The passages' whole sentences that read as facts: not headings, table cells, fragments cut
    at a passage's edge, questions, or too short or long to stand alone."""
    found, seen = [], set()
    for rank, passage in enumerate(pool):
        for place, sentence in enumerate(sentences(texts[passage.source_id])):
            start, raw = _without_heading_line(sentence.start, sentence.text)
            text = " ".join(_EMPHASIS.sub("", raw).split())
            words = len(text.split())
            if (
                sentence.heading
                or not MIN_WORDS <= words <= MAX_WORDS
                or len(text) > FACT_CHARS
                or "|" in text
                or not text.endswith((".", "!", ")", '"', "”"))  # cut at the chunk's end; a question; a label
                or _RUNNING_HEADER.search(text)
                or not _STARTS_WELL.match(text)
                or leans_on_previous(text)
                or _is_list(text)
                or text in seen
            ):
                continue
            seen.add(text)
            terms = content_words(text)
            found.append(
                _Candidate(
                    text,
                    passage.source_id,
                    rank * 1000 + place,
                    start,
                    sentence.end,
                    terms,
                    bool(figures(text)),
                    bool(terms & PAIN),
                )
            )
    return found


_LEANING_TEXT = "then this these those they it its that such there he she second third also"
_LEANING = frozenset(_LEANING_TEXT.split())


def leans_on_previous(sentence: str) -> bool:
    """The sentence leans on the one before it (a pronoun or "then" in its first three words:
    "Agents then attach the image to an email by hand"): alone, a reader cannot tell what it means."""
    words = sentence.lstrip("… ").split()[:3]
    return bool({w.casefold().strip(",;:") for w in words} & _LEANING)


def _is_list(sentence: str) -> bool:
    """A list of names run together ("Email, phone (Zendesk Talk), web form."), not a statement:
    a comma or semicolon for every fourth word or more, or two labels with their values."""
    labels = sentence.count(":") >= 2  # "Interviewee: Thomas Brandt … Date and place: …": a note's header
    return labels or (sentence.count(",") + sentence.count(";")) * 4 > len(sentence.split())


def _without_heading_line(start: int, raw: str) -> tuple[int, str]:
    """A PDF's section title run into the sentence after it ("Data and systems issues\nThe
    operations team listed …") is left out: a short first line without closing punctuation."""
    first, newline, rest = raw.partition("\n")
    title = newline and len(first.split()) <= 8 and not first.rstrip().endswith((".", ":", ";", ","))
    if title and _STARTS_WELL.match(rest.lstrip()):
        skipped = len(raw) - len(rest.lstrip())
        return start + skipped, raw[skipped:]
    return start, raw


def _window(text: str, picked: list[_Candidate], chars: int) -> str:
    """The part of a passage's text the model is shown: from its first picked sentence, at least
    `chars` characters and through its last picked one, cut at word boundaries, "…" where cut."""
    start = min(c.start for c in picked)
    end = max(max(c.end for c in picked), min(len(text), start + chars))
    if end < len(text):
        cut = text.rfind(" ", max(c.end for c in picked), end)
        end = cut if cut > 0 else end
    shown = text[start:end].strip()
    return ("… " if start > 0 else "") + shown + (" …" if end < len(text) else "")


def _quote(text: str) -> str:
    if len(text) <= QUOTE_CHARS:
        return text
    return text[: QUOTE_CHARS - 2].rsplit(" ", 1)[0] + " …"
