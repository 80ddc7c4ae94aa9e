"""What the writing steps share: a model's answer checked and asked for once more when it has
problems, and the passages its uncited statements are linked to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from casebook.documents.index import PassageIndex
from casebook.logs import get_logger
from casebook.models import Evidence
from casebook.runs.context import RunContext


async def _checked_answer(
    ctx: RunContext,
    step: str,
    paths: tuple[str, str],
    ask: Callable[[tuple[str, list[str]] | None], Awaitable[str]],
    problems_of: Callable[[str], list[str]],
) -> tuple[str, list[str]]:
    """A model's answer and what is still wrong with it. An answer with problems is asked for
    once more, with the reasons, and the better of the two is kept. Each answer is stored as it
    arrives (paths: first, retry), so a resumed step asks for neither again."""
    first, retry = paths
    if await ctx.files.exists(first):
        text = await ctx.files.read_text(first)
    else:
        text = await ask(None)
        await ctx.files.write_text(first, text)
    problems = problems_of(text)
    if not problems:
        return text, problems
    if await ctx.files.exists(retry):
        again = await ctx.files.read_text(retry)
    else:
        get_logger().warning(f"{step}: asking once more: " + "; ".join(problems))
        again = await ask((text, problems))
        await ctx.files.write_text(retry, again)
    still = problems_of(again)
    return (again, still) if len(still) <= len(problems) else (text, problems)


async def passage_texts(ctx: RunContext, evidence: Evidence) -> dict[str, str]:
    """The run's passages in full, as the citation check reads them (each id resolved to its
    indexed chunk; the evidence holds the part a model was shown), for `link_uncited`: a
    citation it adds is then one the check finds supported."""

    def read(index: PassageIndex) -> dict[str, str]:
        chunks = {p.source_id: index.chunk(p.chunk_id) for p in evidence.passages}
        return {p.source_id: (c.text if (c := chunks[p.source_id]) is not None else p.text) for p in evidence.passages}

    return await ctx.with_documents(read)
