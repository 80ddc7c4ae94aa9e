"""Which company a run belongs to, without scanning storage: a pointer per run at the root.

    {root}/.runs/{run_id}                    a file holding the company's slug
    {root}/.runs/{run_id}/{company_slug}     the form before (an empty file: its name), still read

`create_run` writes it before the run's manifest, so every run made since has one; a run from
before (or one whose pointer was lost or cut by a crash) is found once by scanning the company
folders, and its pointer written then. A pointer is trusted only when the company holds the
run's manifest. The pointer is a file, not a folder, because a folder is the dearest thing a
submission writes on a busy ext4 disk (its allocation scanned for up to 0.4 ms of kernel time, a
file about 0.03 ms). The same code serves a local folder and S3 (one GET, then one HEAD of the
run's manifest).
"""

from __future__ import annotations

import contextlib

from casebook.errors import CasebookError, RunNotFound, StorageError
from casebook.storage import CompanyStorage, Storage

INDEX = ".runs"  # not a company slug (those start with a letter or digit): never listed as one


def _pointer(storage: Storage, run_id: str) -> str:
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise RunNotFound(f"{run_id!r} is not a run id: `casebook runs` lists the runs")
    return f"{storage.root}/{INDEX}/{run_id}"


def record(storage: Storage, run_id: str, company_slug: str) -> None:
    """Point `run_id` at its company (idempotent; unsynced: a lost pointer costs one scan)."""
    path = _pointer(storage, run_id)
    try:
        if storage.is_local:
            storage.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        try:
            storage.fs.pipe_file(path, company_slug.encode())
        except IsADirectoryError:  # a pointer of the form before: a name in its folder
            storage.fs.pipe_file(f"{path}/{company_slug}", b"")
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _pointed(storage: Storage, run_id: str) -> list[str]:
    path = _pointer(storage, run_id)
    try:
        return [storage.fs.cat_file(path).decode("utf-8", "replace").strip()]
    except (IsADirectoryError, FileNotFoundError):  # the form before (on S3: no object, a prefix)
        pass
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        return sorted(p.rsplit("/", 1)[-1] for p in storage.fs.ls(path, detail=False))
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
