"""Gathering the company's material: the ingest step (its documents read and indexed) and the
evidence step (the passages that matter, and the evidence drawn from them)."""

from __future__ import annotations

import asyncio

from casebook.documents.corpus import INDEX_FILE, ingest_documents
from casebook.documents.index import PassageIndex
from casebook.errors import CasebookError
from casebook.fetch import FetchConfig
from casebook.models import Evidence, Passage, Skipped
from casebook.runs.context import RunContext, staged_inputs
from casebook.runs.remote import fetch_remote
from casebook.runs.retention import collect_documents
from casebook.steps import evidence_from_passages, extract_evidence, gather_passages
from casebook.steps.evidence import gather_pool, picked_themes


async def step_ingest(ctx: RunContext) -> None:
    sources = await asyncio.to_thread(staged_inputs, ctx.company, ctx.run_id)
    earlier: list[Skipped] = []  # files a Drive download could not use
    if await ctx.files.exists(ctx.work("inputs/skipped.json")):
        earlier = [Skipped.model_validate(s) for s in await ctx.files.read_json(ctx.work("inputs/skipped.json"))]
    fetched, failed = await fetch_remote(ctx.company, ctx.run_id, FetchConfig.from_settings(ctx.settings))
    sources, earlier = [*sources, *fetched], earlier + failed
    report = await asyncio.to_thread(
        ingest_documents, ctx.company, sources, ctx.settings, set_id=ctx.run_id, kind="run", pre_skipped=earlier
    )
    ctx.manifest.inputs = report.files
    ctx.manifest.skipped = report.skipped
    ctx.manifest.index_fingerprint = report.fingerprint
    ctx.manifest.metrics["upload_size"] = round(report.bytes_total / 1024, 1)  # KB, as the original
    await ctx.files.write_json(
        f"vector_ids/index_{ctx.run_id}.json",
        {
            "run_id": ctx.run_id,
            "index": f"{ctx.company.slug}/{INDEX_FILE}",
            "engine": "sqlite-fts5-bm25",
            "set_id": report.set_id,
            "fingerprint": report.fingerprint,
            "documents": report.documents,
            "chunks": report.chunks,
            "files": report.files,
        },
    )
    if ctx.settings.keep_days is not None:
        await asyncio.to_thread(collect_documents, ctx.company, keep_days=ctx.settings.keep_days)
    if report.documents == 0:
        reasons = "; ".join(f"{s.file}: {s.reason}" for s in report.skipped) or "no files were given"
        raise CasebookError(
            f"no usable documents ({reasons}): give PDF, Word, Excel, PowerPoint, CSV, text or HTML files"
        )


async def step_evidence(ctx: RunContext) -> None:
    if await ctx.files.exists(ctx.work("evidence.json")):
        return

    picking = ctx.model_set.evidence_from == "passages"
    limit, chars = ctx.settings.evidence_passages, ctx.settings.passage_chars

    def gather(index: PassageIndex) -> tuple[list[Passage], dict[str, str]]:
        gather_from = gather_pool if picking else gather_passages  # a larger pool, `limit` of it kept
        passages = gather_from(index, ctx.submission, limit, chars)
        return passages, {p.source_id: chunk.text for p in passages if (chunk := index.chunk(p.chunk_id)) is not None}

    passages, full = await ctx.with_documents(gather)
    if picking:
        evidence = evidence_from_passages(
            passages,
            full,
            limit=limit,
            chars=chars,
            themes=picked_themes(ctx.settings.evidence_themes, ctx.submission.use_cases_count),
            facts=ctx.settings.evidence_facts,
        )
    else:
        evidence = await extract_evidence(
            ctx.llm,
            ctx.model_set.for_step("evidence"),
            ctx.submission,
            passages,
            await ctx.tone(),
            themes=ctx.settings.evidence_themes,
            facts=ctx.settings.evidence_facts,
            full_texts=full,
        )
    await ctx.files.write_text(ctx.work("evidence.json"), evidence.model_dump_json(indent=2))
    evidence_metrics(ctx, evidence)


def evidence_metrics(ctx: RunContext, evidence: Evidence) -> None:
    kept = sum(len(t.items) for t in evidence.themes)
    ctx.manifest.metrics["evidence_items_total"] = kept + len(evidence.dropped)
    ctx.manifest.metrics["evidence_items_dropped"] = len(evidence.dropped)
