"""Rendering a run's report into its company folder: used by the finalize step and by
`casebook render RUN`, which re-renders a finished run (say with another template or logo)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from casebook.errors import ConfigError, RunError
from casebook.models import Submission, UseCase
from casebook.render import FORMATS, Branding, render_report
from casebook.render.template import (
    ReportTemplate,
    builtin_template,
    load_template,
    parse_template,
)
from casebook.storage import CompanyStorage

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def final_name(run_id: str, fmt: str) -> str:
    return f"final/FINAL_REPORT_{run_id}.{fmt}"


def select_template(path: Path | None = None, name: str | None = None) -> ReportTemplate:
    """A template file (the CLI's --template, or a setting) wins; else a built-in one by name
    (what a submission may ask for: never a path, so a form cannot read the server's files)."""
    if path is not None:
        return load_template(path)
    if name is None or not name.strip() or name.strip() == "default":
        return load_template()
    if not _NAME.match(name.strip()):
        raise ConfigError(
            f"report template {name!r}: give the name of a built-in template, e.g. 'de'"
        )
    return builtin_template(name.strip())


def template_copy(run_id: str) -> str:
    return f"runs/{run_id}/template.toml"


def stage_template(company: CompanyStorage, run_id: str, path: Path) -> None:
    """Keep a --template file with the run (checked first), so any machine can render it."""
    load_template(path)  # a bad file fails now, before anything is spent
    company.write_text(template_copy(run_id), Path(path).read_text("utf-8"))


def run_template(
    company: CompanyStorage,
    run_id: str,
    submission_template: str | None,
    settings_template: Path | None,
) -> ReportTemplate:
    """The template a run renders with: its staged copy, else the settings' file, else the
    built-in one the submission names, else the default."""
    if company.exists(template_copy(run_id)):
        text = company.read_text(template_copy(run_id))
        return parse_template(text, f"{template_copy(run_id)} (copy of the run's --template)")
    return select_template(settings_template, submission_template)


def run_use_cases(company: CompanyStorage, run_id: str) -> list[UseCase]:
    path = f"runs/{run_id}/use_cases.json"
    if not company.exists(path):
        return []
    return [UseCase.model_validate(u) for u in company.read_json(path)]


def render_run(
    company: CompanyStorage,
    run_id: str,
    *,
    markdown: str,
    submission: Submission,
    template: ReportTemplate,
    branding: Branding,
    formats: Iterable[str] = FORMATS,
) -> list[str]:
    """Write FINAL_REPORT_<run>.<format> for each format into final/; returns their paths."""
    rendered = render_report(
        markdown,
        use_cases=run_use_cases(company, run_id),
        submission=submission,
        template=template,
        branding=branding,
        formats=formats,
    )
    written = []
    for fmt, data in rendered.items():
        company.write_bytes(final_name(run_id, fmt), data)
        written.append(final_name(run_id, fmt))
    return written


def finished_report(company: CompanyStorage, run_id: str) -> str:
    """A finished run's canonical Markdown report."""
    path = final_name(run_id, "md")
    if not company.exists(path):
        raise RunError(
            f"run {run_id} has no final report yet: `casebook resume {run_id}` finishes it"
        )
    return company.read_text(path)
