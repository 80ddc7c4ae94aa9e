"""`casebook ingest`, `search`, `gc` and `storage`: a company's documents and its storage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from casebook.cli.app import CompanyArg, JsonOpt, NoOcrOpt, command, err, out, settings_for_command
from casebook.errors import CasebookError
from casebook.storage import Storage

if TYPE_CHECKING:
    from casebook.documents.corpus import IngestReport
    from casebook.models import SearchHit
    from casebook.runs.retention import GcReport


@command
def ingest(
    company: CompanyArg,
    docs: Annotated[Path, typer.Option("--docs", help="Folder of the company's documents")],
    no_ocr: NoOcrOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Store a company's documents and make them searchable (unchanged files cost nothing)."""
    from casebook.documents.corpus import ingest_documents, read_folder
    settings = settings_for_command(no_ocr=no_ocr)
    sources, skipped = read_folder(docs, settings)
    target = Storage(settings.storage_url).company(company)
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    ) as bar:
        task = bar.add_task("", total=len(sources))

        def advance(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=escape(name))

        report = ingest_documents(target, sources, settings, progress=advance, pre_skipped=skipped)
    collected = None
    if settings.keep_days is not None:
        from casebook.runs.retention import collect_documents

        collected = collect_documents(target, keep_days=settings.keep_days)
    if as_json:
        data = _report_json(target.slug, report)
        if collected is not None:
            data["gc"] = collected.as_json()
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_report(target.slug, report)
    if collected is not None and collected.removed:
        _print_gc(collected)


def _report_json(slug: str, report: IngestReport) -> dict[str, Any]:
    return {
        "company_slug": slug,
        "indexed": report.indexed,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "duplicates": report.duplicates,
        "skipped": [s.model_dump() for s in report.skipped],
        "documents": report.documents,
        "chunks": report.chunks,
        "fingerprint": report.fingerprint,
        "set_id": report.set_id,
        "files": report.files,
    }


def _print_report(slug: str, report: IngestReport) -> None:
    out.print(
        f"[bold]{escape(slug)}[/bold]: {len(report.indexed)} ingested, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped, {len(report.removed)} removed — "
        f"{report.documents} documents, {report.chunks} passages indexed"
    )
    for skip in report.skipped:
        out.print(f"  skipped {skip.file}: {skip.reason}", markup=False)
    for name, same in report.duplicates.items():
        out.print(f"  {name}: same content as {same} (indexed once)", markup=False)


@command
def search(
    company: CompanyArg,
    query: Annotated[str, typer.Argument(help="What to look for, in plain words")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many passages")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Show the passages of a company's documents that best match a query."""
    from casebook.documents.corpus import open_current
    settings = settings_for_command()
    target = Storage(settings.storage_url).company(company)
    with open_current(target) as index:  # what the latest ingest made current
        if index is None:
            raise CasebookError(
                f"no documents ingested for {company!r} yet: run `casebook ingest {company!r} --docs DIR`"
            )
        hits = index.search(query, k=k)
    if as_json:
        print(json.dumps([h.model_dump() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        out.print("no passage matches")
    for rank, hit in enumerate(hits, start=1):
        out.print(_hit_lines(rank, hit))


def _hit_lines(rank: int, hit: SearchHit) -> Text:
    """A hit as plain Text: the passage and its file name are shown literally, never as markup."""
    where = (
        hit.file + (f", p. {hit.page}" if hit.page else "") + (f" [{hit.section}]" if hit.section else "")
        + (" (OCR)" if hit.ocr else "")
    )
    return Text.assemble(
        (f"{rank}. {where}", "bold"), f"  (score {hit.score:.2f})\n", "   " + " ".join(hit.text.split())[:400]
    )


@command
def gc(
    company: CompanyArg,
    keep_days: Annotated[
        float | None,
        typer.Option(
            "--keep-days",
            min=0,
            help="Also let go of the documents of runs that ended more than this many days ago "
            "(default CASEBOOK_KEEP_DAYS; unset: every run keeps its documents)",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove document versions (passages, stored files) that no run and no current set needs."""
    from casebook.runs.retention import collect_documents
    settings = settings_for_command()
    target = Storage(settings.storage_url).company(company)
    report = collect_documents(target, keep_days=keep_days if keep_days is not None else settings.keep_days)
    if as_json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        return
    _print_gc(report)


def _print_gc(report: GcReport) -> None:
    size = sum(v.bytes for v in report.removed)
    out.print(
        f"{report.company_slug}: removed {len(report.removed)} document version(s), "
        f"{size:,} bytes; {report.kept_versions} kept",
        markup=False,
    )
    for v in report.removed:
        names = ", ".join(v.names) or "(no name)"
        out.print(f"  removed {v.sha256[:12]} {names} · {v.bytes:,} bytes · {v.passages} passages", markup=False)


@command
def storage(company: CompanyArg, as_json: JsonOpt = False) -> None:
    """Files and bytes per folder of a company's storage."""
    settings = settings_for_command()
    target = Storage(settings.storage_url).company(company)
    stats = target.stats()
    if as_json:
        print(
            json.dumps(
                {
                    "company_slug": target.slug,
                    "root": target.root,
                    "folders": {name: {"files": s.files, "bytes": s.bytes} for name, s in stats.items()},
                    "total_files": sum(s.files for s in stats.values()),
                    "total_bytes": sum(s.bytes for s in stats.values()),
                },
                indent=2,
            )
        )
        return
    table = Table(title=Text(f"{target.slug}  ({target.root})"))
    table.add_column("folder")
    table.add_column("files", justify="right")
    table.add_column("bytes", justify="right")
    for name, s in stats.items():
        table.add_row(name, str(s.files), f"{s.bytes:,}")
    table.add_row("[bold]total", str(sum(s.files for s in stats.values())), f"{sum(s.bytes for s in stats.values()):,}")
    out.print(table)
