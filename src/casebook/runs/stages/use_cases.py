"""The use cases step, and the journal that keeps a step's model answers as they arrive."""

from __future__ import annotations

from typing import Any

from casebook.models import QualityFinding
from casebook.runs.context import RunContext
from casebook.runs.review import USE_CASES_GATE, open_use_case_gate
from casebook.runs.stages.artifacts import load_evidence, load_use_cases
from casebook.steps import generate_use_cases
from casebook.steps.use_cases import REGENERATION_ROUNDS


class StepJournal:
    """A step's answers kept one file each under `runs/<run>/<folder>/`, written as they arrive:
    a step that runs again replays them instead of asking the model again."""

    def __init__(self, ctx: RunContext, folder: str) -> None:
        self.files, self.folder = ctx.files, ctx.work(folder)

    async def get(self, key: str) -> Any | None:
        path = f"{self.folder}/{key}.json"
        return await self.files.read_json(path) if await self.files.exists(path) else None

    async def put(self, key: str, value: Any) -> None:
        await self.files.write_json(f"{self.folder}/{key}.json", value)


async def step_use_cases(ctx: RunContext) -> None:
    """The use cases; with `review_use_cases`, the run then waits (awaiting_review) until a
    person approves them, edited or not (casebook.runs.review)."""
    if await ctx.files.exists(ctx.work("use_cases.json")):
        use_cases = await load_use_cases(ctx)
    else:
        state = ctx.manifest.steps["use_cases"]

        async def progress(text: str) -> None:
            state.progress = text
            await ctx.publish()

        result = await generate_use_cases(
            ctx.llm,
            ctx.model_set.for_step("use_cases"),
            ctx.submission,
            await load_evidence(ctx),
            await ctx.tone(),
            per_call=ctx.model_set.use_cases_per_call,
            # one round for a small model writing one use case a call: each round is N more slow
            # calls inside the step's time limit (CASEBOOK_STEP_TIMEOUT_S)
            rounds=1 if ctx.model_set.use_cases_per_call == 1 else REGENERATION_ROUNDS,
            journal=StepJournal(ctx, "use_cases"),
            progress=progress,
            details=ctx.model_set.use_case_details,
        )
        use_cases = result.use_cases
        await ctx.files.write_json(ctx.work("use_cases.json"), [u.model_dump() for u in use_cases])
        ctx.manifest.metrics["use_cases_regenerated"] = result.regenerated
        ctx.manifest.metrics["use_case_titles_asked"] = result.titles_asked
        ctx.manifest.set_findings(
            "use_cases",
            [
                QualityFinding(step="use_cases", kind=f.kind, message=message)
                for f, message in zip(result.remaining, result.describe_remaining(), strict=True)
            ],
        )
    ctx.manifest.metrics["use_cases_count"] = len(use_cases)
    if ctx.submission.review_use_cases and not ctx.manifest.approved(USE_CASES_GATE):
        open_use_case_gate(ctx.manifest, len(use_cases))
