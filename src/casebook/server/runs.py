"""A run as the API shows it, from the engine's view (manifest, workflow status, progress)."""

from __future__ import annotations

from typing import Any

from casebook.engine import Engine, RunView
from casebook.models import RunStatus
from casebook.runs.manifest import STEPS
from casebook.runs.review import USE_CASES_GATE
from casebook.storage import Storage

REPORT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def readable(status: RunStatus) -> bool:
    """A report can be read once it succeeded, or while it waits for review (to be reviewed)."""
    return status in (RunStatus.succeeded, RunStatus.needs_review)


def report_formats(storage: Storage, view: RunView) -> list[str]:
    m = view.manifest
    if not readable(m.status) or not m.final_report:
        return []
    company = storage.company_by_slug(m.company_slug)
    stem = m.final_report.removesuffix(".md")
    names = set(company.list("final"))
    return [fmt for fmt in REPORT_TYPES if f"{stem}.{fmt}".removeprefix("final/") in names]


def run_body(view: RunView, formats: list[str]) -> dict[str, Any]:
    m = view.manifest
    progress = view.progress or {}
    status = view.status.value
    live = status in ("queued", "running")
    tokens = (m.metrics.get("tokens") or {}).get("total_tokens") or progress.get("tokens") or 0
    return {
        "run_id": m.run_id,
        "company": m.company_name,
        "company_slug": m.company_slug,
        "status": status,
        "engine_status": view.engine_status,
        "current_step": (progress.get("step") or m.current_step) if live else None,
        "step_number": (progress.get("step_number") or m.step_number) if live else 0,
        "total_steps": len(STEPS),
        "step_progress": progress.get("step_progress") if live else None,
        "created": m.created.isoformat() if m.created else None,
        "started": m.started.isoformat() if m.started else None,
        "ended": m.ended.isoformat() if m.ended and not live else None,
        "tokens": int(tokens),
        "cost_usd": float(m.metrics.get("cost_usd") or progress.get("cost_usd") or 0.0),
        "metrics": {k: v for k, v in m.metrics.items() if k != "tokens"},
        "citations": m.citations(),
        "checks": m.checks.model_dump(mode="json") if m.checks else None,
        "findings": [f.model_dump(mode="json") for f in m.findings],
        "gate": _gate(view) if view.status.waiting else None,
        "error": m.error if not live else None,
        "hint": view.hint,
        "report_url": f"/v1/runs/{m.run_id}/report" if formats else None,
        "formats": formats,
    }


def _gate(view: RunView) -> dict[str, Any] | None:
    gate = view.manifest.gate
    if gate is None:
        return None
    run_id = view.manifest.run_id
    return {
        **gate.model_dump(mode="json", include={"kind", "reason", "opened_at"}),
        "approve_url": f"/v1/runs/{run_id}/approve",
        "use_cases_url": f"/v1/runs/{run_id}/use-cases" if gate.kind == USE_CASES_GATE else None,
    }


def describe(engine: Engine, storage: Storage, run_id: str) -> dict[str, Any]:
    """Blocking: the run's JSON body (RunError for an unknown run)."""
    view = engine.view(run_id)
    return run_body(view, report_formats(storage, view))
