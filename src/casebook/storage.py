"""The per-company folder layout over an fsspec filesystem (a local folder today, S3 by URL).

    {root}/{company_slug}/{debug,data,vector_ids,index,part_a,part_b,final,runs}/

Every write is atomic: on a local disk a temp file is renamed over the target; on an object
store a single PUT is already all-or-nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from casebook.atomic import TMP_PREFIX, atomic_file
from casebook.disk_sync import sync_paths
from casebook.errors import InputError, MissingExtra, StorageError
from casebook.extras import install_command

_OBJECT_STORES = ("s3", "s3a")
FOLDERS = ("debug", "data", "vector_ids", "index", "part_a", "part_b", "final", "runs")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,70}$")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # not one of surrogateescape's \udc80-\udcff


def _normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def company_slug(name: str) -> str:
    """A folder name for a company: readable, safe, and distinct for distinct names.

    Names that differ only in case, width or spacing ("Acme  Corp", "ACME Corp") are the
    same company; any other difference gives another folder, because the slug ends with a
    hash of the normalised name.
    """
    normalised = _normalise_name(name)
    if not normalised:
        raise InputError("company name is empty: give the company's name")
    ascii_form = unicodedata.normalize("NFKD", normalised).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_form).strip("-")[:48].strip("-") or "company"
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:8]
    return f"{base}-{digest}"


def safe_filename(name: str) -> str:
    """A document's file name made safe to store: no folders, no control characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/")).rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip().lstrip(".").strip()
    if len(base.encode()) > 180:
        stem, dot, ext = base.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        base = stem.encode()[:170].decode(errors="ignore") + (f".{keep}" if keep else "")
    return base or "document"


def decoded_name(name: str) -> str:
    """A name as valid Unicode: bytes a file system could not decode (held as surrogate escapes,
    as os.fsdecode gives them) and any other lone surrogate become U+FFFD, so no undecodable name
    reaches JSON or SQLite."""
    escaped = _LONE_SURROGATE.sub("\ufffd", name).encode("utf-8", "surrogateescape")
    return escaped.decode("utf-8", "replace")


def document_name(name: str) -> str:
    """A document's identity: its path relative to the documents folder (`sub1/notes.txt`).

    Valid Unicode (NFC), `/` between folders, each part made safe like safe_filename; `.`,
    `..` and empty parts are dropped, so a name never climbs out of its folder. Documents are
    stored by content (`data/<sha256>`), so this name is shown, never used as a storage path.
    """
    text = unicodedata.normalize("NFC", decoded_name(name)).replace("\\", "/")
    parts = [safe_filename(p) for p in text.split("/") if p.strip() not in ("", ".", "..")]
    return "/".join(parts) or "document"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class FolderStats:
    files: int
    bytes: int


class Storage:
    """The storage root named by `CASEBOOK_STORAGE_URL`."""

    def __init__(self, url: str, *, storage_options: dict[str, Any] | None = None) -> None:
        options = dict(storage_options or {})
        if url.split("://", 1)[0] in _OBJECT_STORES:
            # Workers on other machines write here too: never answer from a cached listing.
            options.setdefault("use_listings_cache", False)
        try:
            self.fs, root = fsspec.core.url_to_fs(url, **options)
        except ImportError:  # fsspec's s3 protocol without s3fs
            raise MissingExtra(
                f"storage {url!r} needs the s3 extra: {install_command('s3')}", extra="s3"
            ) from None
        except ValueError as exc:
            raise StorageError(
                f"cannot open storage {url!r}: {exc}. Set CASEBOOK_STORAGE_URL to a folder "
                "path or s3://bucket/prefix (with casebook[s3] installed)"
            ) from None
        self.url = url
        self.is_local = isinstance(self.fs, LocalFileSystem)
        self.root = str(Path(root).resolve()) if self.is_local else root.rstrip("/")

    def company(self, name: str) -> CompanyStorage:
        return CompanyStorage(self, company_slug(name), company_name=name)

    def company_by_slug(self, slug: str) -> CompanyStorage:
        if not _SLUG.match(slug):
            raise InputError(f"{slug!r} is not a company slug (lower-case letters, digits, '-')")
        return CompanyStorage(self, slug)

    def companies(self) -> list[str]:
        if not self.fs.exists(self.root):
            return []
        names = (p.rsplit("/", 1)[-1] for p in self.fs.ls(self.root, detail=False) if self.fs.isdir(p))
        return sorted(name for name in names if _SLUG.match(name))  # not `.runs` (casebook.runs.locate)


class CompanyStorage:
    """One company's folders. Paths given to it are relative: `folder/name`."""

    def __init__(self, storage: Storage, slug: str, company_name: str | None = None) -> None:
        self.storage = storage
        self.fs = storage.fs
        self.slug = slug
        self.company_name = company_name
        self.root = f"{storage.root}/{slug}"

    # -- paths ---------------------------------------------------------------------------

    def path(self, relative: str) -> str:
        folder, _, name = relative.partition("/")
        if folder not in FOLDERS or not name or any(p in ("", ".", "..") for p in name.split("/")):
            raise StorageError(f"refusing path {relative!r}: must be <folder>/<name> in {FOLDERS}")
        return f"{self.root}/{relative}"

    def local_path(self, relative: str) -> Path:
        if not self.storage.is_local:
            raise StorageError("this storage is not a local folder")
        return Path(self.path(relative))

    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(self.path(relative)))

    def list(self, folder: str) -> list[str]:
        """Names in a folder, sorted; temp files of unfinished writes are left out."""
        path = self.path(f"{folder}/x").rsplit("/", 1)[0]
        if not self.fs.exists(path):
            return []
        names = (p.rsplit("/", 1)[-1] for p in self.fs.ls(path, detail=False))
        return sorted(n for n in names if not n.startswith(TMP_PREFIX))

    # -- reading and writing ------------------------------------------------------------

    def write_bytes(self, relative: str, data: bytes, *, sync: bool = True) -> None:
        """Write atomically. `sync=False` skips the fsync: the file is still whole or absent after
        a process crash, only an operating-system crash may lose the latest version."""
        self.write_stream(relative, [data], sync=sync)

    def write_stream(self, relative: str, blocks: Iterable[bytes], *, sync: bool = True) -> None:
        """`write_bytes` of the blocks joined; on a local disk written block by block (never whole
        in memory). An exception from `blocks` writes nothing."""
        target = self.path(relative)
        whole = None if self.storage.is_local else b"".join(blocks)  # an object store takes it whole
        try:
            if whole is None:
                with atomic_file(target, sync=sync) as handle:
                    for block in blocks:
                        handle.write(block)
            else:
                self.fs.pipe_file(target, whole)
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {exc.strerror or exc}") from None
        except Exception as exc:  # an object store's client raises its own errors too
            if self.storage.is_local:
                raise
            raise StorageError(f"cannot write {target}: {exc}") from None

    def sync_files(self, relatives: Iterable[str]) -> None:
        """Flush files written with `sync=False`, and their folders, to disk together: one
        flush of the filesystem for them and for the other threads' files that ask at the same
        time (`casebook.disk_sync`). Object stores are durable on write: nothing to do."""
        sync_together([(self, r) for r in relatives])

    def write_text(self, relative: str, text: str, *, sync: bool = True) -> None:
        self.write_bytes(relative, text.encode("utf-8"), sync=sync)

    def write_json(self, relative: str, value: Any, *, sync: bool = True) -> None:
        self.write_bytes(relative, json_bytes(value), sync=sync)

    def read_bytes(self, relative: str) -> bytes:
        try:
            return bytes(self.fs.cat_file(self.path(relative)))
        except FileNotFoundError:
            raise StorageError(f"{relative} does not exist for company {self.slug}") from None
        except Exception as exc:  # an object store's client raises its own errors too
            if self.storage.is_local:
                raise
            raise StorageError(f"cannot read {self.path(relative)}: {exc}") from None

    def read_text(self, relative: str) -> str:
        return self.read_bytes(relative).decode("utf-8")

    def read_json(self, relative: str) -> Any:
        return json.loads(self.read_bytes(relative))

    def delete(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.path(relative))

    @contextlib.contextmanager
    def local_file(self, relative: str, *, write_back: bool = True) -> Iterator[Path]:
        """A local path for a file that needs one (SQLite); copied back when storage is remote."""
        if self.storage.is_local:
            path = self.local_path(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="casebook-") as tmp:
            local = Path(tmp) / relative.rsplit("/", 1)[-1]
            if self.exists(relative):
                local.write_bytes(self.read_bytes(relative))
            yield local
            if write_back and local.exists():
                self.write_bytes(relative, local.read_bytes())

    # -- documents and statistics -------------------------------------------------------

    def stats(self) -> dict[str, FolderStats]:
        """Files and bytes per folder, like the original's get_storage_stats."""
        result = {}
        for folder in FOLDERS:
            path = f"{self.root}/{folder}"
            files = self.fs.find(path, detail=True) if self.fs.exists(path) else {}
            sizes = [int(info.get("size") or 0) for info in files.values()]
            result[folder] = FolderStats(files=len(sizes), bytes=sum(sizes))
        return result

    def remove_all(self) -> None:
        if self.storage.is_local:
            shutil.rmtree(self.root, ignore_errors=True)
        elif self.fs.exists(self.root):
            self.fs.rm(self.root, recursive=True)


class AsyncCompanyStorage:
    """A company's storage for coroutines: each call runs in a worker thread (asyncio.to_thread),
    so a slow disk or object store never stalls the event loop that drives a run's LLM calls.
    What is written is encoded before the call, on the caller's thread, from the value as it is
    then."""

    def __init__(self, company: CompanyStorage) -> None:
        self.sync = company

    async def exists(self, relative: str) -> bool:
        return await asyncio.to_thread(self.sync.exists, relative)

    async def read_bytes(self, relative: str) -> bytes:
        return await asyncio.to_thread(self.sync.read_bytes, relative)

    async def read_text(self, relative: str) -> str:
        return (await self.read_bytes(relative)).decode("utf-8")

    async def read_json(self, relative: str) -> Any:
        return json.loads(await self.read_bytes(relative))

    async def write_bytes(self, relative: str, data: bytes, *, sync: bool = True) -> None:
        await asyncio.to_thread(self.sync.write_bytes, relative, data, sync=sync)

    async def write_text(self, relative: str, text: str, *, sync: bool = True) -> None:
        await self.write_bytes(relative, text.encode("utf-8"), sync=sync)

    async def write_json(self, relative: str, value: Any) -> None:
        await self.write_bytes(relative, json_bytes(value))


def sync_together(files: Iterable[tuple[CompanyStorage, str]]) -> None:
    """`CompanyStorage.sync_files` for files of many companies at once: one flush for them all."""
    paths = [company.path(relative) for company, relative in files if company.storage.is_local]
    if not paths:
        return
    try:
        sync_paths([*paths, *sorted({os.path.dirname(p) for p in paths})])  # the files, then their folders
    except OSError as exc:
        raise StorageError(f"cannot write {exc.filename or paths[0]}: {exc.strerror or exc}") from None
