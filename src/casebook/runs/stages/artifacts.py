"""The artifacts of earlier steps as the later ones read them: the evidence and the use cases."""

from __future__ import annotations

from casebook.models import Evidence, UseCase
from casebook.runs.context import RunContext


async def load_evidence(ctx: RunContext) -> Evidence:
    return Evidence.model_validate_json(await ctx.files.read_bytes(ctx.work("evidence.json")))


async def load_use_cases(ctx: RunContext) -> list[UseCase]:
    return [UseCase.model_validate(u) for u in await ctx.files.read_json(ctx.work("use_cases.json"))]
