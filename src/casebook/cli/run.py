"""`casebook run`, `submit`, `resume` and `report`: from a submission to a final report."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from casebook.cli.app import CompanyArg, JsonOpt, NoOcrOpt, command, err, out, settings_for_command
from casebook.config import Settings
from casebook.errors import CasebookError, InputError, RunError
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import STEPS, Manifest
from casebook.runs.review import USE_CASES_GATE
from casebook.storage import Storage

DocsOpt = Annotated[Path, typer.Option("--docs", help="Folder of the company's documents")]
InfoOpt = Annotated[
    str | None, typer.Option("--company-info", help="Description, or the form's '{Label}: value' lines")
]
UseCasesOpt = Annotated[int | None, typer.Option("--use-cases", min=1, max=20, help="How many use cases (default 7)")]
ModelSetOpt = Annotated[str | None, typer.Option("--model-set", help="cheap, better, gpt5, local or your own")]
BudgetOpt = Annotated[float | None, typer.Option("--budget-usd", min=0.0, help="Stop before spending more")]
SubmissionOpt = Annotated[
    Path | None, typer.Option("--submission", help="A JSON intake form (the original's field names work)")
]
TemplateOpt = Annotated[
    Path | None, typer.Option("--template", help="Report template (TOML): sections, headings, language, tone")
]
KeyOpt = Annotated[
    str | None, typer.Option("--idempotency-key", help="The same key gives the same run, never a second")
]
RunArg = Annotated[str, typer.Argument(help="The run id (`casebook runs` lists them)")]
ReviewOpt = Annotated[
    bool,
    typer.Option(
        "--review-use-cases",
        help="Stop after the use cases (awaiting_review) until `casebook review RUN --approve`",
    ),
]


def build_submission(
    company: str, company_info: str | None, use_cases: int | None, extra: Path | None, review: bool = False
) -> Submission:
    data: dict[str, Any] = {}
    if extra is not None:
        try:
            data = json.loads(extra.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read --submission {extra}: {exc}") from None
        if not isinstance(data, dict):
            raise InputError(f"--submission {extra} must hold a JSON object")
    data["company_name"] = company
    if company_info:
        data["company_info"] = company_info
    if use_cases is not None:
        data["use_cases_count"] = use_cases
    if review:
        data["review_use_cases"] = True
    return Submission.parse(data)


def _create(
    settings: Settings,
    company: str,
    docs: Path,
    company_info: str | None,
    use_cases: int | None,
    model_set: str | None,
    budget_usd: float | None,
    submission: Path | None,
    key: str | None,
    template: Path | None = None,
    review: bool = False,
) -> Manifest:
    from casebook.documents.corpus import read_folder
    from casebook.render import load_template
    from casebook.render.run import stage_template
    from casebook.runs.runner import create_run

    sub = build_submission(company, company_info, use_cases, submission, review)
    if template is not None:
        load_template(template)  # a bad template fails now, before anything is stored or spent
    sources, skipped = read_folder(docs, settings)
    for skip in skipped:
        err.print(f"skipped {skip.file}: {skip.reason}", markup=False)
    manifest = create_run(settings, sub, sources, model_set=model_set, budget_usd=budget_usd, idempotency_key=key)
    if template is not None:
        stage_template(Storage(settings.storage_url).company_by_slug(manifest.company_slug), manifest.run_id, template)
    return manifest


def progress_line(manifest: Manifest) -> Text:
    step = manifest.current_step or "-"
    state = manifest.steps.get(step)
    detail = f" {state.progress}" if state and state.progress else ""
    tokens = (manifest.metrics.get("tokens") or {}).get("total_tokens", 0)
    cost = manifest.metrics.get("cost_usd") or 0.0
    return Text(f"step {manifest.step_number}/{len(STEPS)} {step}{detail} · {tokens:,} tokens · ${cost:.4f}")


def run_in_this_process(settings: Settings, manifest: Manifest, *, resume: bool = False) -> tuple[Manifest, bool]:
    """The run, executed here until it ends; True with it when a signal stopped this process first."""
    from casebook import engine
    from casebook.render import writable_formats

    _, note = writable_formats(f.strip() for f in settings.report_formats.split(",") if f.strip())
    if note:
        err.print(f"note: {note}", markup=False)

    live = Live(progress_line(manifest), console=err, transient=True)

    async def show(m: Manifest) -> None:
        live.update(progress_line(m))

    listener = show if err.is_terminal else None
    display = live if err.is_terminal else contextlib.nullcontext()
    with engine.launched(settings, executor_id=engine.cli_executor_id(), take_queued_work=False), display:
        final = asyncio.run(engine.run_here(settings, manifest, listener, resume=resume))
        return final, engine.stop_requested()


@command
def run(
    company: CompanyArg,
    docs: DocsOpt,
    company_info: InfoOpt = None,
    use_cases: UseCasesOpt = None,
    model_set: ModelSetOpt = None,
    budget_usd: BudgetOpt = None,
    submission: SubmissionOpt = None,
    template: TemplateOpt = None,
    idempotency_key: KeyOpt = None,
    review_use_cases: ReviewOpt = False,
    no_ocr: NoOcrOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a grounded AI-readiness report for a company from its documents, here and now."""
    settings = settings_for_command(no_ocr=no_ocr)
    manifest = _create(
        settings, company, docs, company_info, use_cases, model_set, budget_usd, submission, idempotency_key, template,
        review_use_cases,
    )
    err.print(f"run {manifest.run_id} ({manifest.model_set}) for {manifest.company_slug}", highlight=False)
    from casebook.runs.runner import embedded_model

    local = embedded_model(settings, manifest.model_set)
    if local:
        err.print(f"model: embedded {local}", highlight=False)
    finish(*run_in_this_process(settings, manifest), as_json, settings.storage_url)


@command
def submit(
    company: CompanyArg,
    docs: DocsOpt,
    company_info: InfoOpt = None,
    use_cases: UseCasesOpt = None,
    model_set: ModelSetOpt = None,
    budget_usd: BudgetOpt = None,
    submission: SubmissionOpt = None,
    template: TemplateOpt = None,
    idempotency_key: KeyOpt = None,
    review_use_cases: ReviewOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue a run for `casebook worker` processes and print its run id."""
    from casebook import engine

    settings = settings_for_command()
    manifest = _create(
        settings, company, docs, company_info, use_cases, model_set, budget_usd, submission, idempotency_key, template,
        review_use_cases,
    )
    with engine.Engine(settings) as eng:
        if manifest.status is RunStatus.queued and not manifest.workflow_ids:
            eng.enqueue(manifest)
    if as_json:
        print(
            json.dumps(
                {"run_id": manifest.run_id, "company_slug": manifest.company_slug, "status": manifest.status.value}
            )
        )
    else:
        out.print(manifest.run_id, highlight=False)


@command
def resume(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Finish an interrupted, failed or cancelled run here, from where it stopped (a failed step is retried)."""
    from casebook import engine

    settings = settings_for_command()
    view = engine.plan_here(settings, run_id, resume=True)  # RunError when it runs elsewhere
    manifest, plan = view.manifest, view.plan
    if view.status is RunStatus.succeeded:
        raise RunError(f"run {run_id} already succeeded: `casebook report` prints its report")
    if view.status.waiting and manifest.gate is not None:
        raise RunError(f"run {run_id} waits for review ({manifest.gate.reason}): {approve_hint(manifest)}")
    if plan.step == "done":
        raise RunError(f"run {run_id} already succeeded: `casebook report` prints its report")
    why = {
        "orphaned": f" (its process {plan.executor_id} is gone)",
        "queued": " (it was queued, and no worker is alive)",
    }.get(plan.step, "")
    err.print(f"resuming run {run_id} here from step {_first_open_step(manifest)}{why}", markup=False)
    finish(*run_in_this_process(settings, manifest, resume=True), as_json, settings.storage_url)


@command
def approve(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Release a run that waits for review: needs_review (mark its report ready and deliver it) or
    awaiting_review (write the report around its use cases, as edited with `casebook review`)."""
    approve_here(settings_for_command(), run_id, as_json)


def approve_here(settings: Settings, run_id: str, as_json: bool) -> None:
    """Record the approval of the gate the run waits at, then run the steps left here."""
    from casebook.runs.runner import approve_run

    manifest = approve_run(settings, run_id, by="cli")
    gate = manifest.gates.get(USE_CASES_GATE)
    if gate is not None and gate.approved_at is not None and manifest.steps["use_cases"].state == "waiting":
        err.print(f"run {run_id} approved: writing the report around its use cases", highlight=False)
    else:
        err.print(f"run {run_id} approved: marking its report ready and delivering it", highlight=False)
    finish(*run_in_this_process(settings, manifest), as_json, settings.storage_url)


def approve_hint(manifest: Manifest) -> str:
    if manifest.gate is not None and manifest.gate.kind == USE_CASES_GATE:
        run = manifest.run_id
        return (
            f"`casebook review {run}` shows the use cases, `--file edited.json` saves your edits, "
            f"`casebook review {run} --approve` goes on"
        )
    where = f"read {manifest.final_report}, then " if manifest.final_report else ""
    return f"{where}`casebook approve {manifest.run_id}` releases it"


def _first_open_step(manifest: Manifest) -> str:
    return next((s for s in STEPS if manifest.steps[s].state != "done"), STEPS[-1])


def citation_line(manifest: Manifest) -> str:
    """e.g. "citations 21/40 supported (52%), 17 re-attributed, 2 removed, 1 sentence removed"."""
    c = manifest.citations()
    if c is None:
        return "citations not checked yet"
    sentences = f", {c['sentences_removed']} sentence{'s' if c['sentences_removed'] != 1 else ''} removed"
    return (
        f"citations {c['supported']}/{c['total']} supported ({c['supported_share']:.0%}), "
        f"{c['reattributed']} re-attributed, {c['removed']} removed{sentences}"
    )


def finish(manifest: Manifest, stopped: bool, as_json: bool, storage_url: str) -> None:
    if as_json:
        print(manifest.model_dump_json(indent=2))
    elif manifest.status is RunStatus.succeeded and manifest.final_report:
        root = Storage(storage_url).company_by_slug(manifest.company_slug).root
        m = manifest.metrics
        total, active = float(m.get("pipeline_duration") or 0), float(m.get("pipeline_active_duration") or 0)
        took = f"{total:.1f}s" + (f" ({active:.1f}s active)" if abs(total - active) >= 1 else "")
        err.print(
            f"done in {took} · {m.get('use_cases_count')} use cases · "
            f"{citation_line(manifest)} · "
            f"{(m.get('tokens') or {}).get('total_tokens', 0):,} tokens · ${m.get('cost_usd') or 0:.4f}",
            highlight=False,
        )
        out.print(f"{root}/{manifest.final_report}", markup=False, soft_wrap=True)
    elif manifest.status is RunStatus.awaiting_review and manifest.gate is not None:
        count = manifest.metrics.get("use_cases_count")
        err.print(f"[yellow]run {manifest.run_id} awaits review of its {count} use cases[/yellow]")
        err.print(approve_hint(manifest), highlight=False, markup=False)
        raise typer.Exit(4)
    elif manifest.status.waiting and manifest.gate is not None:
        root = Storage(storage_url).company_by_slug(manifest.company_slug).root
        err.print(f"[yellow]run {manifest.run_id} needs review:[/yellow] {escape(manifest.gate.reason)}")
        err.print(f"{citation_line(manifest)}; not marked ready, not delivered", highlight=False)
        err.print(f"read the report, then `casebook approve {manifest.run_id}` releases it", highlight=False)
        if manifest.final_report:
            out.print(f"{root}/{manifest.final_report}", markup=False, soft_wrap=True)
        raise typer.Exit(4)
    if manifest.status.waiting:
        raise typer.Exit(4)
    if manifest.status is RunStatus.succeeded:
        return
    if stopped and not manifest.status.finished:
        if not as_json:
            err.print(
                f"run {manifest.run_id} stopped with this process: `casebook resume {manifest.run_id}` "
                f"continues it from step {_first_open_step(manifest)}",
                markup=False,
            )
        raise typer.Exit(130)
    if not as_json:
        err.print(f"[red]run {manifest.run_id} {manifest.status.value}:[/red] {escape(str(manifest.error))}")
        err.print(f"`casebook resume {manifest.run_id}` continues it from where it stopped", highlight=False)
    raise typer.Exit(3 if manifest.status is RunStatus.budget_exceeded else 1)


@command
def render(
    run_id: RunArg,
    template: Annotated[
        Path | None, typer.Option("--template", help="Report template (TOML); default: the run's own")
    ] = None,
    formats: Annotated[str, typer.Option("--formats", help="Comma-separated: html,pdf,docx")] = "html,pdf,docx",
) -> None:
    """Render a finished run's report again as HTML, PDF and Word (e.g. with another template or logo)."""
    from casebook.render import Branding, load_template
    from casebook.render.run import finished_report, render_run, run_template
    from casebook.runs.runner import find_run, load_manifest

    settings = settings_for_command()
    company = find_run(settings, run_id)
    sub = Submission.model_validate(load_manifest(company, run_id).submission)
    chosen = (
        load_template(template)
        if template
        else run_template(company, run_id, sub.report_template, settings.report_template)
    )
    written = render_run(
        company,
        run_id,
        markdown=finished_report(company, run_id),
        submission=sub,
        template=chosen,
        branding=Branding(settings.brand_name, settings.brand_logo, settings.brand_primary, settings.brand_accent),
        formats=[f.strip() for f in formats.split(",") if f.strip()],
    )
    for path in written:
        out.print(f"{company.root}/{path}", markup=False, soft_wrap=True)


@command
def report(company: CompanyArg) -> None:
    """Print the path of the company's latest final report."""
    settings = settings_for_command()
    target = Storage(settings.storage_url).company(company)
    finished = []
    for name in target.list("final"):
        if name.endswith(".ready"):
            run_id = name.removeprefix("FINAL_REPORT_").removesuffix(".ready")
            manifest = Manifest.load(target, run_id) if target.exists(f"runs/{run_id}.json") else None
            finished.append((manifest.ended.isoformat() if manifest and manifest.ended else "", run_id))
    if not finished:
        raise CasebookError(f"no finished report for {company!r} yet: run `casebook run {company!r} --docs DIR`")
    latest = max(finished)[1]  # by when the run ended: run ids from idempotency keys do not sort by time
    out.print(f"{target.root}/final/FINAL_REPORT_{latest}.md", markup=False, soft_wrap=True)
