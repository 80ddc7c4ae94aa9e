"""The Part B step: one section per use case, written concurrently; a resumed step writes only
the sections it lacks."""

from __future__ import annotations

import asyncio

from casebook.errors import BudgetExceeded
from casebook.models import UseCase
from casebook.runs.context import RunContext
from casebook.runs.review import edited, use_case_key
from casebook.runs.stages.answers import passage_texts
from casebook.runs.stages.artifacts import load_evidence, load_use_cases
from casebook.steps import assemble_part_b, number_section, section_from_use_case, write_use_case_section


async def step_part_b(ctx: RunContext) -> None:
    target = f"part_b/report_enhanced_{ctx.run_id}.md"
    if await ctx.files.exists(target):
        return
    evidence, use_cases = await load_evidence(ctx), await load_use_cases(ctx)
    limit = asyncio.Semaphore(ctx.settings.part_b_concurrency)
    state = ctx.manifest.steps["part_b"]
    # sections of older versions: by position, for an unedited list
    numbered = not await asyncio.to_thread(edited, ctx.company, ctx.run_id)
    paths = await asyncio.to_thread(
        lambda: [_section_path(ctx, i, uc, numbered) for i, uc in enumerate(use_cases, start=1)]
    )
    done = sum([await ctx.files.exists(p) for p in paths])
    texts = await passage_texts(ctx, evidence) if ctx.model_set.part_b_from != "use_cases" else {}

    async def one(number: int, use_case: UseCase) -> None:
        nonlocal done
        path = paths[number - 1]
        if await ctx.files.exists(path):
            return
        if ctx.model_set.part_b_from == "use_cases":
            text = section_from_use_case(use_case, number)
        else:
            async with limit:
                text = await write_use_case_section(
                    ctx.llm,
                    ctx.model_set.for_step("part_b"),
                    ctx.submission,
                    use_case,
                    number,
                    evidence,
                    await ctx.tone(),
                    ctx.settings.part_b_passages,
                    texts=texts,
                )
        await ctx.files.write_text(path, text)
        done += 1
        state.progress = f"{done}/{len(use_cases)}"
        await ctx.publish()

    state.progress = f"{done}/{len(use_cases)}"
    results = await asyncio.gather(*(one(i, uc) for i, uc in enumerate(use_cases, start=1)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:  # the sections that finished are kept; a resume writes only the rest
        raise next((e for e in errors if isinstance(e, BudgetExceeded)), errors[0])
    sections = [
        number_section(await ctx.files.read_text(path), number, use_case.title)
        for number, (path, use_case) in enumerate(zip(paths, use_cases, strict=True), start=1)
    ]
    await ctx.files.write_text(target, assemble_part_b(sections))


def _section_path(ctx: RunContext, number: int, use_case: UseCase, numbered: bool) -> str:
    """A use case's Part B section is kept under a hash of the use case, so that only the use
    cases an edit changed are written again (a reorder writes none)."""
    legacy = ctx.work(f"part_b/{number:02d}.md")
    if numbered and ctx.company.exists(legacy):
        return legacy
    return ctx.work(f"part_b/{use_case_key(use_case)}.md")
