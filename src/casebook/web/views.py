"""What the pages show of a run, from the engine's view: one dict per run for the templates and
the live updates alike (the run page's server-sent events carry the same dict)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from casebook.engine import Engine, RunView
from casebook.models import UseCase
from casebook.runs.manifest import STEPS, Manifest
from casebook.runs.review import awaits_review, current_use_cases, passage_ids
from casebook.server.runs import report_formats, run_body
from casebook.storage import Storage

STEP_LABELS = {
    "ingest": "Read the documents",
    "evidence": "Gather the evidence",
    "use_cases": "Propose use cases",
    "part_a": "Write Part A",
    "part_b": "Write Part B, one section per use case",
    "consolidate": "Summarise",
    "verify": "Check the citations",
    "finalize": "Render the report",
    "review": "Quality gate",
    "deliver": "Deliver",
}
LIVE = ("queued", "running")
LISTS = ("kpis", "data_needed", "risks")  # the use-case editor: one item a line
FIELDS = tuple(UseCase.model_fields)
NEXT_STEP = {
    "failed": "Retry runs the steps that are left; the finished ones are kept and not paid for again.",
    "budget_exceeded": "The run stopped before it could spend more than its budget. Retry continues it "
    "(under a higher CASEBOOK_BUDGET_USD if the budget was the server's).",
    "cancelled": "Resume continues it from where it stopped; the finished steps are kept.",
}
# awaiting_review: no button here; the use-case editor has Save and Approve


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _elapsed(start: datetime | None, end: datetime | None, live: bool) -> float | None:
    if start is None:
        return None
    stop = end if end is not None and not live else datetime.now(UTC)
    return (stop - start).total_seconds()


def steps_done(manifest: Manifest) -> int:
    return sum(1 for s in manifest.steps.values() if s.state == "done")


def timeline(manifest: Manifest, live: bool) -> list[dict[str, Any]]:
    rows = []
    for name in STEPS:
        step = manifest.steps[name]
        state: str = step.state
        if not live and state == "running":
            state = "stopped"  # the attempt ended while this step ran
        rows.append(
            {
                "name": name,
                "number": STEPS.index(name) + 1,
                "label": STEP_LABELS.get(name, name.replace("_", " ")),
                "state": state,
                "progress": step.progress if state == "running" else None,
                "model": step.model,
                "duration": duration(_elapsed(step.started, step.ended, state == "running")),
                "error": step.error if state in ("failed", "stopped") else None,
            }
        )
    return rows


def summary_row(view: RunView) -> dict[str, Any]:
    """One line of the runs list."""
    m = view.manifest
    status = view.status.value
    live = status in LIVE
    progress = view.progress or {}
    number = (progress.get("step_number") or m.step_number) if live else steps_done(m)
    start = m.started or m.created
    return {
        "run_id": m.run_id,
        "company": m.company_name,
        "status": status,
        "step": number,
        "total_steps": len(STEPS),
        "cost_usd": float(m.metrics.get("cost_usd") or progress.get("cost_usd") or 0.0),
        "started": when(start),
        "duration": duration(_elapsed(m.started, m.ended, live)) if m.started else "",
    }


def citations(manifest: Manifest) -> dict[str, Any] | None:
    """Verification figures once the citations were checked: supported of total, as a percentage."""
    found = manifest.citations()
    if found is None:
        return None
    return {**found, "share": round(found["supported_share"] * 100)}


def page_state(view: RunView, formats: list[str]) -> dict[str, Any]:
    """Everything the run page shows that changes while the run goes on."""
    m = view.manifest
    body = run_body(view, formats)
    live = body["status"] in LIVE
    body.update(
        {
            "live": live,
            "steps": timeline(m, live),
            "steps_done": steps_done(m),
            "duration": duration(_elapsed(m.started, m.ended, live)) if m.started else "",
            "created_text": when(m.created),
            "started_text": when(m.started),
            "skipped": [s.model_dump() for s in m.skipped],
            "citations": citations(m),
            "next_step": NEXT_STEP.get(body["status"]),
            "model_set": m.model_set,
            "documents": len(m.inputs),
            "actions": actions(body["status"], orphaned=view.plan.step == "orphaned"),
            "gate": m.gate.model_dump(mode="json") if m.gate is not None and not live else None,
            "hint": view.hint,  # what to do when the run's process is gone
        }
    )
    return body


def actions(status: str, *, orphaned: bool = False) -> list[str]:
    """The buttons a run in this status has (one whose process is gone can be resumed too)."""
    if status in LIVE:
        return ["cancel", "resume"] if orphaned else ["cancel"]
    if status in ("failed", "budget_exceeded"):
        return ["retry"]
    if status == "cancelled":
        return ["resume"]
    if status == "needs_review":
        return ["approve"]
    return []


def form_values(use_case: UseCase | dict[str, Any]) -> dict[str, str]:
    """A use case as the form's text fields show it."""
    data = use_case.model_dump(mode="json") if isinstance(use_case, UseCase) else use_case
    values = {}
    for name in FIELDS:
        value = data.get(name, "")
        if name in LISTS:
            value = "\n".join(str(v) for v in value or [])
        elif name == "citations":
            value = ", ".join(str(v) for v in value or [])
        values[name] = "" if value is None else str(value)
    return values


def run_page_state(engine: Engine, storage: Storage, run_id: str) -> dict[str, Any]:
    """Blocking: the run page's state (RunError for an unknown run); while the run awaits review
    of its use cases, the use cases too (with the edits saved so far)."""
    view = engine.view(run_id)
    state = page_state(view, report_formats(storage, view))
    state["review"] = None
    if state["status"] == "awaiting_review" and awaits_review(view.manifest):
        company = storage.company_by_slug(view.manifest.company_slug)
        items, record = current_use_cases(company, view.manifest)
        state["review"] = {
            "values": [{**form_values(u), "form_number": str(i)} for i, u in enumerate(items)],
            "edited_at": record.get("edited_at"),
            "passages": passage_ids(company, run_id),
        }
    return state
