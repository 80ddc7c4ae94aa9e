"""Which company a run belongs to, without scanning storage: a pointer per run at the root.

    {root}/.runs/{run_id}/{company_slug}     an empty file: its name is the record

`create_run` writes it before the run's manifest, so every run made since has one; a run from
before (or one whose pointer was lost) is found once by scanning the company folders, and its
pointer written then. A pointer is trusted only when the company holds the run's manifest. An
empty object needs no atomic write, so the same code serves a local folder and S3 (one LIST of
the run's prefix, then one HEAD of its manifest).
"""

from __future__ import annotations

import contextlib

from casebook.errors import CasebookError, RunNotFound, StorageError
from casebook.storage import CompanyStorage, Storage

INDEX = ".runs"  # not a company slug (those start with a letter or digit): never listed as one


def _folder(storage: Storage, run_id: str) -> str:
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise RunNotFound(f"{run_id!r} is not a run id: `casebook runs` lists the runs")
    return f"{storage.root}/{INDEX}/{run_id}"


def record(storage: Storage, run_id: str, company_slug: str) -> None:
    """Point `run_id` at its company (idempotent; unsynced: a lost pointer costs one scan)."""
    folder = _folder(storage, run_id)
    try:
        if storage.is_local:
            storage.fs.makedirs(folder, exist_ok=True)
        storage.fs.pipe_file(f"{folder}/{company_slug}", b"")
    except OSError as exc:
        raise StorageError(f"cannot write {folder}: {exc.strerror or exc}") from None


def _pointed(storage: Storage, run_id: str) -> list[str]:
    folder = _folder(storage, run_id)
    with contextlib.suppress(FileNotFoundError):
        return sorted(p.rsplit("/", 1)[-1] for p in storage.fs.ls(folder, detail=False))
    return []


def company_of(storage: Storage, run_id: str) -> CompanyStorage:
    """The company that holds the run's manifest; RunNotFound when none does."""
    for slug in _pointed(storage, run_id):
        with contextlib.suppress(CasebookError):  # a stray name: the scan below decides
            company = storage.company_by_slug(slug)
            if company.exists(f"runs/{run_id}.json"):
                return company
    for slug in storage.companies():  # a run from before the pointers: found once, then pointed
        company = storage.company_by_slug(slug)
        if company.exists(f"runs/{run_id}.json"):
            with contextlib.suppress(StorageError):
                record(storage, run_id, slug)
            return company
    raise RunNotFound(f"no run {run_id!r} in {storage.url}: `casebook runs` lists the runs")
