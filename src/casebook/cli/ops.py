"""Operating durable runs: `worker`, `runs`, `status`, `cancel`, `recover`."""

from __future__ import annotations

import json
import signal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from casebook.cli.app import JsonOpt, command, err, out, settings_for_command
from casebook.cli.check import finding_lines
from casebook.cli.run import RunArg, approve_hint, citation_line
from casebook.runs.manifest import STEPS, Manifest

if TYPE_CHECKING:
    from casebook import engine


@command
def worker(
    executor_id: Annotated[
        str | None, typer.Option("--executor-id", help="Stable id of this worker (default worker-<hostname>)")
    ] = None,
) -> None:
    """Take queued runs and execute them until stopped (Ctrl-C or SIGTERM: steps in flight get
    CASEBOOK_SHUTDOWN_GRACE_S to finish; a second signal stops them at once)."""
    from casebook import engine

    settings = settings_for_command()
    if executor_id:
        settings = settings.model_copy(update={"executor_id": executor_id})
    me = engine.worker_executor_id(settings)
    err.print(f"worker {me} on {engine.database_url(settings).split('@')[-1]}", markup=False)
    with engine.launched(settings, executor_id=me, take_queued_work=True):
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: engine.request_stop())
        engine.wait_for_stop()
        grace = settings.shutdown_grace_s
        err.print(f"worker {me} stopping: steps in flight may finish (up to {grace:g} s)", markup=False)
    err.print(f"worker {me} stopped", markup=False)


def _summary(view: engine.RunView) -> dict[str, Any]:
    m = view.manifest
    progress = view.progress or {}
    return {
        "run_id": m.run_id,
        "company": m.company_name,
        "company_slug": m.company_slug,
        "status": view.status.value,
        "engine_status": view.engine_status,
        "current_step": progress.get("step") or m.current_step,
        "step_number": progress.get("step_number") or m.step_number,
        "total_steps": len(STEPS),
        "step_progress": progress.get("step_progress"),
        "started": m.started.isoformat() if m.started else None,
        "ended": m.ended.isoformat() if m.ended else None,
        "cost_usd": m.metrics.get("cost_usd"),
        "tokens": (m.metrics.get("tokens") or {}).get("total_tokens"),
        "error": m.error,
        "final_report": m.final_report,
        "executor_id": view.executor_id,
        "citations": m.citations(),
        "checks": m.checks.model_dump(mode="json") if m.checks else None,
        "findings": [f.model_dump(mode="json") for f in m.findings],
        "gate": m.gate.model_dump(mode="json") if m.gate else None,
        "executor_alive": view.executor.alive if view.executor else None,
        "hint": view.hint,
    }


@command
def runs(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many, newest first")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List runs, newest first."""
    from casebook import engine

    settings = settings_for_command()
    with engine.Engine(settings) as eng:
        views = eng.list_runs(limit)
    rows = [_summary(v) for v in views]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table()
    for column in ("run", "company", "status", "step", "started", "cost"):
        table.add_column(column, no_wrap=column in ("run", "status", "started", "cost"))  # a cut cost misleads
    for r in rows:
        step = f"{r['step_number']}/{r['total_steps']} {r['current_step']}" if r["current_step"] else "-"
        cost = f"${r['cost_usd']:.4f}" if r["cost_usd"] is not None else "-"
        started = r["started"] or ""  # ISO; the table shows month, day and time: "12-04 16:49" (--json: all of it)
        when = f"{started[5:10]} {started[11:16]}" if len(started) >= 16 else "-"
        table.add_row(r["run_id"], Text(r["company"] or ""), r["status"], step, when, cost)
    out.print(table)


@command
def status(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Show a run's status, current step, tokens, cost and error."""
    from casebook import engine

    settings = settings_for_command()
    with engine.Engine(settings) as eng:
        view = eng.view(run_id)
    if as_json:
        print(json.dumps({**_summary(view), "manifest": view.manifest.model_dump(mode="json")}, indent=2))
        return
    _print_status(view, _summary(view))


def _print_status(view: engine.RunView, s: dict[str, Any]) -> None:
    m: Manifest = view.manifest
    out.print(f"[bold]{m.run_id}[/bold] · {escape(m.company_name)} · {s['status']}")
    if s["current_step"]:
        extra = f" ({s['step_progress']})" if s["step_progress"] else ""
        out.print(f"step {s['step_number']}/{s['total_steps']} {s['current_step']}{extra}", highlight=False)
    for name in STEPS:
        st = m.steps[name]
        model = f" · {st.model}" if st.model else ""
        out.print(f"  {name:<12} {st.state}{model}" + (f" · {st.error}" if st.error else ""), markup=False)
    for d in m.deliveries:
        out.print(
            f"  deliver {d.destination} {d.status}"
            + (f" · {d.links[0]}" if d.links else "")
            + (f" · {d.error}" if d.error else ""),
            markup=False,
        )
    tokens = s["tokens"] or 0
    out.print(f"tokens {tokens:,} · cost ${s['cost_usd'] or 0:.4f}", highlight=False)
    if s["citations"] is not None:
        out.print(citation_line(m), highlight=False)
    if m.findings:
        count = len(m.findings)
        out.print(f"generation: {count} finding{'s' if count != 1 else ''} left after asking again", markup=False)
        for f in m.findings:
            out.print(f"  {f.kind} · {f.step}: {f.message}", markup=False)
    if m.checks is not None:
        again = f" (wrote {', '.join(m.checks.regenerated)} again)" if m.checks.regenerated else ""
        count = len(m.checks.findings)
        out.print(f"report check: {count or 'no'} finding{'s' if count != 1 else ''}{again}", markup=False)
        for line in finding_lines(m.checks.findings):
            out.print(line, markup=False)
    if m.gate is not None:
        out.print(f"[yellow]waits for review:[/yellow] {escape(m.gate.reason)}")
        out.print(approve_hint(m), markup=False)
    if m.error:
        out.print(f"[red]error:[/red] {escape(m.error)}")
    if m.final_report:
        out.print(f"report: {m.final_report}", markup=False)
    if view.hint:
        out.print(f"[yellow]note:[/yellow] {escape(view.hint)}", highlight=False)


@command
def cancel(run_id: RunArg) -> None:
    """Cancel a queued or running run; what it finished is kept."""
    from casebook import engine

    settings = settings_for_command()
    with engine.Engine(settings) as eng:
        eng.cancel(run_id)
    out.print(f"run {run_id} cancelled", highlight=False)


@command
def recover(
    executor_id: Annotated[str, typer.Argument(help="The executor id of the machine that is gone")],
    force: Annotated[
        bool, typer.Option("--force", help="Even if it still sends heartbeats (it would run them at the same time)")
    ] = False,
) -> None:
    """Hand a dead worker's unfinished runs to the live workers (they resume where it stopped)."""
    from casebook import engine

    settings = settings_for_command()
    with engine.Engine(settings) as eng:
        handed = eng.hand_over(executor_id, force=force)
    out.print(f"{len(handed)} run(s) queued for live workers" + (": " + ", ".join(handed) if handed else ""))
