"""`casebook run` and `casebook report`: from a submission to a final report on the command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.text import Text

from casebook.cli import CompanyArg, JsonOpt, command, err, out, settings_for_command
from casebook.corpus import read_folder
from casebook.errors import CasebookError, InputError
from casebook.manifest import STEPS, Manifest
from casebook.models import RunStatus, Submission
from casebook.runner import create_run, execute
from casebook.storage import Storage


def build_submission(company: str, company_info: str | None, use_cases: int | None, extra: Path | None) -> Submission:
    data: dict[str, Any] = {}
    if extra is not None:
        try:
            data = json.loads(extra.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read --submission {extra}: {exc}") from None
    data["company_name"] = company
    if company_info:
        data["company_info"] = company_info
    if use_cases is not None:
        data["use_cases_count"] = use_cases
    return Submission.parse(data)


def progress_line(manifest: Manifest) -> Text:
    step = manifest.current_step or "-"
    state = manifest.steps.get(step)
    detail = f" {state.progress}" if state and state.progress else ""
    tokens = (manifest.metrics.get("tokens") or {}).get("total_tokens", 0)
    cost = manifest.metrics.get("cost_usd") or 0.0
    return Text(
        f"step {manifest.step_number}/{len(STEPS)} {step}{detail} · {tokens:,} tokens · ${cost:.4f}"
    )


@command
def run(
    company: CompanyArg,
    docs: Annotated[Path, typer.Option("--docs", help="Folder of the company's documents")],
    company_info: Annotated[
        str | None, typer.Option("--company-info", help="Description, or the form's '{Label}: value' lines")
    ] = None,
    use_cases: Annotated[int | None, typer.Option("--use-cases", min=1, max=20, help="How many use cases (default 7)")] = None,
    model_set: Annotated[str | None, typer.Option("--model-set", help="cheap, better, gpt5, local or your own")] = None,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd", min=0.0, help="Stop before spending more")] = None,
    submission: Annotated[
        Path | None, typer.Option("--submission", help="A JSON intake form (the original's field names work)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a grounded AI-readiness report for a company from its documents."""
    settings = settings_for_command()
    sub = build_submission(company, company_info, use_cases, submission)
    sources, skipped = read_folder(docs, settings)
    for skip in skipped:
        err.print(f"skipped {skip.file}: {skip.reason}", highlight=False)
    manifest = create_run(settings, sub, sources, model_set=model_set, budget_usd=budget_usd)
    err.print(f"run {manifest.run_id} ({manifest.model_set}) for {manifest.company_slug}", highlight=False)

    live = Live(progress_line(manifest), console=err, transient=True)
    listener = (lambda m: live.update(progress_line(m))) if err.is_terminal else None
    with live if err.is_terminal else contextlib.nullcontext():
        final = asyncio.run(execute(settings, manifest.company_slug, manifest.run_id, listener=listener))
    finish(final, as_json, settings.storage_url)


def finish(manifest: Manifest, as_json: bool, storage_url: str) -> None:
    if as_json:
        print(manifest.model_dump_json(indent=2))
    elif manifest.status is RunStatus.succeeded and manifest.final_report:
        root = Storage(storage_url).company_by_slug(manifest.company_slug).root
        m = manifest.metrics
        err.print(
            f"done in {m.get('pipeline_duration', 0):.1f}s · {m.get('use_cases_count')} use cases · "
            f"citations {m.get('citations_valid')}/{m.get('citations_total')} valid · "
            f"{(m.get('tokens') or {}).get('total_tokens', 0):,} tokens · ${m.get('cost_usd') or 0:.4f}",
            highlight=False,
        )
        out.print(f"{root}/{manifest.final_report}", highlight=False, soft_wrap=True)
    if manifest.status is not RunStatus.succeeded:
        if not as_json:
            err.print(f"[red]run {manifest.run_id} {manifest.status.value}:[/red] {manifest.error}", highlight=False)
        raise typer.Exit(1 if manifest.status is not RunStatus.budget_exceeded else 3)


@command
def report(company: CompanyArg) -> None:
    """Print the path of the company's latest final report."""
    settings = settings_for_command()
    target = Storage(settings.storage_url).company(company)
    ready = sorted(n for n in target.list("final") if n.endswith(".ready"))
    if not ready:
        raise CasebookError(f"no finished report for {company!r} yet: run `casebook run {company!r} --docs DIR`")
    out.print(f"{target.root}/final/{ready[-1].removesuffix('.ready')}.md", highlight=False, soft_wrap=True)
