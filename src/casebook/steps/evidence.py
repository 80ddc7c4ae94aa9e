"""Evidence: find the passages that matter and have the model pull out facts and quotes by theme."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from casebook.documents.index import PassageIndex
from casebook.errors import InputError
from casebook.llm import LLMClient, StepModel
from casebook.logs import get_logger
from casebook.models import (
    ITEMS_PER_THEME,
    MAX_PICKED_THEMES,
    MAX_THEMES,
    DroppedItem,
    Evidence,
    EvidenceAnswer,
    EvidenceItem,
    Passage,
    Submission,
    Theme,
)
from casebook.steps.claims import quotations, quoted_in
from casebook.steps.constrain import evidence_answer_model
from casebook.steps.evidence_extract import pick_evidence
from casebook.steps.figures import FigureSet, figures
from casebook.steps.prompts import messages, render_passages, render_submission, system_prompt
from casebook.steps.themes import PICKING_THEMES, THEME_QUERIES


def gather_passages(
    index: PassageIndex,
    submission: Submission,
    limit: int = 24,
    chars: int = 900,
    themes: Sequence[str] = THEME_QUERIES,
) -> list[Passage]:
    """Passages for the run, taken round-robin from several searches (the intake's expectations
    and description, then each of `themes`) so every theme is heard.

    Each passage keeps at most `chars` characters: what the model is shown is what it cites.
    """
    queries = [q for q in (submission.report_expectations, submission.company_description) if q]
    queries += themes
    results = [index.search(q, k=limit) for q in queries]
    chosen: dict[str, Passage] = {}
    for rank in range(limit):
        for hits in results:
            if len(chosen) >= limit:
                break
            if rank < len(hits) and hits[rank].chunk_id not in chosen:
                hit = hits[rank]
                chosen[hit.chunk_id] = Passage(
                    source_id=f"S{len(chosen) + 1}",
                    chunk_id=hit.chunk_id,
                    file=hit.file,
                    page=hit.page,
                    section=hit.section,
                    text=_shorten(hit.text, chars),
                )
    return list(chosen.values())


def _shorten(text: str, chars: int) -> str:
    if len(text) <= chars:
        return text
    return text[:chars].rsplit(" ", 1)[0] + " …"


async def extract_evidence(
    llm: LLMClient,
    model: StepModel,
    submission: Submission,
    passages: list[Passage],
    tone: str = "",
    *,
    themes: int = MAX_THEMES,
    facts: int = ITEMS_PER_THEME,
    full_texts: Mapping[str, str] | None = None,
) -> Evidence:
    """Facts and quotes by theme; only the items whose passage holds their quote and figures.

    `full_texts` maps a passage's source id to its whole text (the model was shown a prefix);
    without it the shown text is what items are checked against.
    """
    if not passages:
        raise InputError("no passages to draw evidence from: the documents gave no searchable text")
    answer_model = evidence_answer_model([p.source_id for p in passages], themes, facts)
    user = f"{render_submission(submission)}\n\nPassages from the company's documents:\n\n{render_passages(passages)}"
    answer = await llm.structured("evidence", model, messages(system_prompt("evidence"), user, tone), answer_model)
    plain = EvidenceAnswer.model_validate(answer.model_dump())
    texts = {p.source_id: p.text for p in passages} | dict(full_texts or {})
    kept, dropped = check_evidence(plain.themes, texts)
    if dropped:
        get_logger().warning(
            f"evidence: {len(dropped)} of {len(dropped) + sum(len(t.items) for t in kept)} items dropped: "
            "their passage does not hold their quote or figures",
            dropped=len(dropped),
        )
    return Evidence(themes=kept, passages=passages, dropped=dropped)


PICKING_QUERIES = tuple(t.query for t in PICKING_THEMES)
POOL_FACTOR = 3  # passages read, for each one kept, when the pipeline picks the evidence


def gather_pool(index: PassageIndex, submission: Submission, limit: int, chars: int) -> list[Passage]:
    """The passages the pipeline picks evidence from: POOL_FACTOR times the run's `limit`, found
    by the picking themes' searches too (`evidence_from_passages` keeps `limit` of them)."""
    return gather_passages(index, submission, limit=limit * POOL_FACTOR, chars=chars, themes=PICKING_QUERIES)


def picked_themes(configured: int, use_cases: int) -> int:
    """Themes of picked evidence: a theme for each use case where the documents have one (each is
    written from its own), at least the configured number, at most MAX_PICKED_THEMES."""
    return min(max(configured, use_cases), MAX_PICKED_THEMES)


def evidence_from_passages(
    pool: list[Passage],
    full_texts: Mapping[str, str],
    *,
    limit: int,
    chars: int,
    themes: int = MAX_THEMES,
    facts: int = ITEMS_PER_THEME,
) -> Evidence:
    """The evidence the pipeline picks itself from a pool of passages, with no model call
    (`casebook.steps.evidence_extract`): every item is a sentence of its passage, checked like a
    model's items all the same; the run keeps `limit` passages, those the items come from first."""
    if not pool:
        raise InputError("no passages to draw evidence from: the documents gave no searchable text")
    picked = pick_evidence(pool, full_texts, limit=limit, chars=chars, themes=themes, facts=facts)
    texts = {p.source_id: p.text for p in picked.passages}
    kept, dropped = check_evidence(picked.themes, texts)
    items = sum(len(t.items) for t in kept)
    get_logger().info(
        f"evidence: {items} sentences of {len({i.source for t in kept for i in t.items})} passages in "
        f"{len(kept)} themes, picked from {len(pool)} passages (no model call)",
        items=items,
    )
    return Evidence(themes=kept, passages=picked.passages, dropped=dropped)


def check_evidence(themes: list[Theme], texts: Mapping[str, str]) -> tuple[list[Theme], list[DroppedItem]]:
    """Keep an item only if its passage holds its quote (verbatim, normalised), every quotation in
    its fact, and every figure its fact states; themes left without items are dropped."""
    kept: list[Theme] = []
    dropped: list[DroppedItem] = []
    for theme in themes:
        items = []
        for item in theme.items:
            reason = _unsupported(item, texts.get(item.source))
            if reason is None:
                items.append(item)
            else:
                dropped.append(DroppedItem(source=item.source, fact=item.fact, quote=item.quote, reason=reason))
        if items:
            kept.append(theme.model_copy(update={"items": items}))
    return kept, dropped


def _unsupported(item: EvidenceItem, text: str | None) -> str | None:
    if text is None:
        return f"no passage {item.source}"
    if item.quote.strip() and not quoted_in(item.quote, text):
        return f"the quote is not in {item.source}"
    for quote in quotations(item.fact):
        if not quoted_in(quote, text):
            return f"the fact quotes text that is not in {item.source}"
    held = FigureSet.of(text)
    missing = [f.text for f in figures(item.fact) if not held.holds(f)]
    if missing:
        return f"{', '.join(missing)} not in {item.source}"
    return None
