"""What one run's steps share: its settings, storage, manifest, submission, model client and
ledger, and how progress reaches a listener. Knows nothing of the CLI, HTTP or the engine."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from casebook.config import Settings
from casebook.documents.corpus import open_set
from casebook.documents.index import PassageIndex
from casebook.errors import CasebookError
from casebook.llm import LLMClient, ModelSet, UsageLedger
from casebook.models import LocalFile, Source, SourceFile, Submission
from casebook.render import ReportTemplate
from casebook.render.run import run_template
from casebook.runs.manifest import Manifest, manifest_path
from casebook.runs.remote import fetched_documents
from casebook.storage import AsyncCompanyStorage, CompanyStorage

Listener = Callable[[Manifest], Awaitable[None]]
StepCaller = Callable[[str], Awaitable[None]]
T = TypeVar("T")


@dataclass
class RunContext:
    settings: Settings
    company: CompanyStorage
    manifest: Manifest
    submission: Submission
    model_set: ModelSet
    llm: LLMClient
    ledger: UsageLedger
    listener: Listener | None = None
    attempt: str | None = None  # the engine's id of this attempt (the manifest's last workflow id)
    active_before: float = 0.0  # seconds earlier attempts ran
    _attempt_t0: float = field(default_factory=time.monotonic, init=False, repr=False)

    @cached_property
    def files(self) -> AsyncCompanyStorage:
        """The company's storage for the steps' coroutines: reads and writes off the event loop."""
        return AsyncCompanyStorage(self.company)

    @cached_property
    def template(self) -> ReportTemplate:
        """The report template: its structure for rendering, its tone for the prompts."""
        return run_template(self.company, self.run_id, self.submission.report_template, self.settings.report_template)

    async def load_template(self) -> ReportTemplate:
        """`template`, read (the first time) in a worker thread."""
        if "template" not in self.__dict__:
            await asyncio.to_thread(lambda: self.template)
        return self.template

    async def tone(self) -> str:
        """The template's tone, which the generation steps append to their system prompts."""
        return (await self.load_template()).tone

    async def with_documents(self, work: Callable[[PassageIndex], T]) -> T:
        """`work(index)` over the run's documents (see `documents`), in a worker thread: the
        index is a SQLite file, and searching it is disk and CPU work."""

        def run() -> T:
            with self.documents() as index:
                return work(index)

        return await asyncio.to_thread(run)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @contextlib.contextmanager
    def documents(self) -> Iterator[PassageIndex]:
        """The run's own documents: the versions its ingest recorded (`manifest.inputs`), and
        nothing else. Every search and passage lookup of a run goes through this."""
        with open_set(
            self.company,
            self.run_id,
            self.manifest.inputs,
            self.settings,
            staged=lambda: staged_inputs(self.company, self.run_id) + fetched_documents(self.company, self.run_id),
        ) as index:
            yield index

    def work(self, name: str) -> str:
        """Path of one of the run's intermediate artifacts."""
        return f"runs/{self.run_id}/{name}"

    _last_event: tuple[Any, ...] | None = field(default=None, init=False, repr=False)
    _last_event_at: float = field(default=0.0, init=False, repr=False)
    _snapshots: int = field(default=0, init=False, repr=False)  # manifest versions taken
    _written: int = field(default=0, init=False, repr=False)  # the latest one stored
    _write_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _snapshot(self) -> Callable[[], None]:
        """The manifest as it is now (with the ledger's figures and the time this attempt has
        run), and a function that stores it unless a later version is stored already: writes
        that finish out of order (threads) never put an older manifest over a newer one.

        Only a finished run's manifest is fsynced: the step artifacts, not the manifest, are
        what a resumed run trusts."""
        manifest = self.manifest
        manifest.metrics["tokens"] = self.ledger.totals()
        manifest.metrics["cost_usd"] = round(self.ledger.spent_usd, 6)
        active = self.active_before + time.monotonic() - self._attempt_t0
        manifest.metrics["pipeline_active_duration"] = round(active, 3)
        self._snapshots += 1
        version, text, sync = self._snapshots, manifest.model_dump_json(indent=2), manifest.status.finished

        def store() -> None:
            with self._write_lock:
                if version > self._written:
                    self.company.write_text(manifest_path(self.run_id), text, sync=sync)
                    self._written = version

        return store

    def save(self) -> None:
        """Write the manifest now, on this thread (the run's end, a stop)."""
        self._snapshot()()

    async def save_async(self) -> None:
        """Write the manifest from a worker thread: the event loop goes on meanwhile."""
        await asyncio.to_thread(self._snapshot())

    def superseded(self) -> bool:
        """True when a later attempt of this run has started (the stored manifest names it):
        this one must then leave the manifest alone."""
        if self.attempt is None:
            return False
        try:
            stored = Manifest.load(self.company, self.run_id)
        except CasebookError:
            return False
        return bool(stored.workflow_ids) and stored.workflow_ids[-1] != self.attempt

    async def publish(self) -> None:
        """Write the manifest, then tell the listener (the engine's progress events, a live display).

        Progress within a state (tokens, k of N) is told at most once a second; a change of
        status or step state is told at once.
        """
        await self.save_async()
        await self.tell()

    async def tell(self) -> None:
        """Tell the listener, throttled as `publish` says, without writing the manifest."""
        manifest = self.manifest
        if self.listener is None:
            return
        signature = (manifest.status, manifest.current_step, *(s.state for s in manifest.steps.values()))
        now = time.monotonic()
        if signature == self._last_event and now - self._last_event_at < 1.0:
            return
        self._last_event, self._last_event_at = signature, now
        await self.listener(manifest)


def stage_inputs(company: CompanyStorage, run_id: str, sources: Sequence[Source], *, sync: bool = True) -> None:
    """Keep the run's documents with the run, so it can be resumed on any machine. `sync=False`:
    the caller flushes the run's inputs afterwards (`input_files`), all of them at once."""
    for i, source in enumerate(sources):
        company.write_bytes(f"runs/{run_id}/inputs/{i:04d}", source.data, sync=sync)
    names = [s.name for s in sources]
    company.write_json(f"runs/{run_id}/inputs/names.json", names, sync=sync)


def input_files(company: CompanyStorage, run_id: str) -> list[str]:
    """Every file of the run's inputs folder (what the caller of `stage_inputs(sync=False)` flushes)."""
    folder = f"runs/{run_id}/inputs"
    return [f"{folder}/{name}" for name in company.list(folder)]


def staged_inputs(company: CompanyStorage, run_id: str) -> list[Source]:
    """The run's documents; on a local disk as files read when used (never all in memory)."""
    names = company.read_json(f"runs/{run_id}/inputs/names.json")
    if company.storage.is_local:
        paths = [company.local_path(f"runs/{run_id}/inputs/{i:04d}") for i in range(len(names))]
        return [LocalFile(name, path, path.stat().st_size) for name, path in zip(names, paths, strict=True)]
    return [
        SourceFile(name=name, data=company.read_bytes(f"runs/{run_id}/inputs/{i:04d}")) for i, name in enumerate(names)
    ]
