"""`create_runs`: runs made together share the disk's flushes (one for every run's inputs, then
one for every manifest), inputs are on disk before any manifest is written, and a run whose
checks fail, or whose flush fails, fails without taking the others with it (or half-made)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from casebook import disk_sync
from casebook.config import Settings
from casebook.errors import InputError, StorageError
from casebook.models import SourceFile, Submission
from casebook.runs import runner
from casebook.runs.manifest import Manifest
from casebook.runs.runner import StagedRun, create_runs, stage_run
from casebook.storage import Storage

DOC = SourceFile(name="notes.md", data=b"# Notes\n\nInvoice matching takes nine people a month.\n")


def stager(
    settings: Settings, company: str, *, docs: bool = True, key: str | None = None
) -> functools.partial[StagedRun]:
    submission = Submission(company_name=company, company_description="Freight", use_cases_count=2)
    return functools.partial(stage_run, settings, submission, [DOC] if docs else [], idempotency_key=key)


def settings(tmp_path: Path) -> Settings:
    return Settings(storage_url=str(tmp_path / "outputs"), database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")


def flush_group(path: Path) -> disk_sync.SyncGroup | None:
    return disk_sync._groups.get(os.stat(path).st_dev)


def test_runs_of_many_companies_share_two_flushes_and_a_failed_check_fails_alone(tmp_path: Path) -> None:
    made = settings(tmp_path)
    (tmp_path / "outputs").mkdir()
    group = flush_group(tmp_path / "outputs")
    before = group.rounds if group else 0
    outcomes = create_runs(
        [stager(made, f"Company {i}") for i in range(5)] + [stager(made, "No Docs Ltd", docs=False)]
    )
    *runs, refused = outcomes
    assert isinstance(refused, InputError) and "no documents given" in str(refused)
    assert all(isinstance(r, StagedRun) and not r.existed for r in runs)
    group = flush_group(tmp_path / "outputs")
    if disk_sync._SYNCFS is not None:  # Linux: one syncfs for the inputs, one for the manifests
        assert group is not None and group.rounds - before == 2
    storage = Storage(made.storage_url)
    for run in runs:
        assert isinstance(run, StagedRun)
        company = storage.company_by_slug(run.manifest.company_slug)
        assert Manifest.load(company, run.manifest.run_id).run_id == run.manifest.run_id
        assert company.exists(f"debug/submission_{run.manifest.run_id}.json")
    assert "no-docs-ltd" not in storage.companies()  # a refused run leaves nothing


def test_every_runs_inputs_are_flushed_before_any_manifest_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = settings(tmp_path)
    flushes: list[tuple[list[str], int]] = []
    real = runner.sync_together

    def watched(files: object) -> None:
        listed = list(files)  # type: ignore[call-overload]
        manifests = sum(1 for _ in (tmp_path / "outputs").glob("*/runs/*.json"))
        flushes.append(([relative for _, relative in listed], manifests))
        real(listed)

    monkeypatch.setattr(runner, "sync_together", watched)
    outcomes = create_runs([stager(made, "Alpha Co"), stager(made, "Beta Co")])
    assert all(isinstance(o, StagedRun) for o in outcomes)
    (inputs, manifests_then), (records, manifests_after) = flushes
    assert manifests_then == 0 and len([p for p in inputs if p.endswith("/inputs/0000")]) == 2
    assert manifests_after == 2 and len([p for p in records if p.endswith(".json")]) == 2


def test_a_failed_flush_of_the_inputs_fails_the_batch_and_writes_no_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = settings(tmp_path)

    def broken(files: object) -> None:
        raise StorageError("cannot write outputs: Input/output error")

    monkeypatch.setattr(runner, "sync_together", broken)
    outcomes = create_runs([stager(made, "Alpha Co"), stager(made, "Beta Co")])
    assert all(isinstance(o, StorageError) for o in outcomes)
    assert list((tmp_path / "outputs").glob("*/runs/*.json")) == []  # nothing a resend would trust


def test_a_key_that_made_its_run_before_gets_that_run_without_a_write(tmp_path: Path) -> None:
    made = settings(tmp_path)
    [first] = create_runs([stager(made, "Alpha Co", key="k-1")])
    [again, other] = create_runs([stager(made, "Alpha Co", key="k-1"), stager(made, "Alpha Co", key="k-2")])
    assert isinstance(first, StagedRun) and isinstance(again, StagedRun) and isinstance(other, StagedRun)
    assert again.existed and again.manifest.run_id == first.manifest.run_id
    assert not other.existed and other.manifest.run_id != first.manifest.run_id
