"""`casebook check RUN`: what a reader would notice in a run's final report."""

from __future__ import annotations

import json

import typer

from casebook.cli.app import JsonOpt, command, out, settings_for_command
from casebook.cli.run import RunArg
from casebook.models import Finding

# The exit code when the report has findings (0: none; 1: an error, such as no final report yet).
FINDINGS_EXIT = 5


@command
def check(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Check a run's final report for what a reader would notice: empty sections, repeated
    paragraphs, sentences cut mid-way, paragraphs set as headings, duplicate or non-AI use cases,
    unsupported citations. Exits 5 when it finds any."""
    from casebook.runs.quality import check_finished_run
    from casebook.runs.runner import find_run, load_manifest

    settings = settings_for_command()
    company = find_run(settings, run_id)
    manifest = load_manifest(company, run_id)
    findings = check_finished_run(settings, company, manifest)
    path = f"{company.root}/{manifest.final_report}"
    if as_json:
        body = {
            "run_id": run_id,
            "report": path,
            "count": len(findings),
            "findings": [f.model_dump(mode="json") for f in findings],
        }
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        out.print(f"{len(findings) or 'no'} finding{'s' if len(findings) != 1 else ''} in {path}", markup=False)
        for line in finding_lines(findings):
            out.print(line, markup=False)
    if findings:
        raise typer.Exit(FINDINGS_EXIT)


def finding_lines(findings: list[Finding]) -> list[str]:
    """e.g. "  cut_sentence · part_b:3: this text stops mid-sentence — “…the way they”"."""
    return [
        f"  {f.kind} · {f.section}: {f.message}" + (f" \u2014 \u201c{f.excerpt}\u201d" if f.excerpt else "")
        for f in findings
    ]
