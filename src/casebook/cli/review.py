"""`casebook review`: read, edit and approve the use cases of a run that awaits review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from casebook.cli.app import JsonOpt, command, err, out, settings_for_command
from casebook.cli.run import RunArg, approve_here
from casebook.errors import InputError
from casebook.models import UseCase

FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help='Save these use cases (JSON: {"use_cases": [...]} or a list, e.g. as `--json` printed them, edited)',
    ),
]
ApproveOpt = Annotated[
    bool, typer.Option("--approve", help="Approve (the saved edits, or the list as it is) and go on here")
]


@command
def review(run_id: RunArg, file: FileOpt = None, approve: ApproveOpt = False, as_json: JsonOpt = False) -> None:
    """Print a run's use cases; --file saves your edits (change, reorder, drop, add) while it
    awaits review; --approve goes on with them (also releases a needs_review run, as `approve`)."""
    from casebook.runs.review import awaits_review, current_use_cases, save_edits
    from casebook.runs.runner import find_run, load_manifest

    settings = settings_for_command()
    company = find_run(settings, run_id)
    if file is not None:
        saved = save_edits(company, run_id, _read(file), by="cli")
        err.print(f"saved {len(saved)} use cases for run {run_id}", highlight=False)
    if approve:
        approve_here(settings, run_id, as_json)
        return
    manifest = load_manifest(company, run_id)
    items, record = current_use_cases(company, manifest)
    if as_json:
        body = {"run_id": run_id, "status": manifest.status.value, "editable": awaits_review(manifest),
                "use_cases": [u.model_dump(mode="json") for u in items], **record}
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for number, use_case in enumerate(items, start=1):
        _show(number, use_case)
    if awaits_review(manifest):
        err.print(
            f"run {run_id} awaits review: `casebook review {run_id} --json > uc.json`, edit it, "
            f"`casebook review {run_id} --file uc.json` saves it, `--approve` goes on",
            highlight=False,
        )


def _read(path: Path) -> Any:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read --file {path}: {exc}") from None
    return data.get("use_cases") if isinstance(data, dict) else data


def _show(number: int, u: UseCase) -> None:
    out.print(f"{number}. {u.title}", markup=False)
    out.print(
        f"   impact {u.impact}/5 · effort {u.effort}/5 · value {u.value}/5 · {u.horizon} · "
        f"cites {', '.join(u.citations)}",
        markup=False,
    )
    for label, text in (("problem", u.problem), ("solution", u.solution), ("impact", u.expected_impact)):
        out.print(f"   {label}: {text}", markup=False)
    for label, items in (("KPIs", u.kpis), ("data", u.data_needed), ("risks", u.risks)):
        out.print(f"   {label}: {'; '.join(items)}", markup=False)
