"""Which company a run belongs to: a pointer per run, written when it is made, on a local folder
and on S3; runs from before the pointers are found once by a scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.config import Settings
from casebook.errors import RunNotFound
from casebook.models import Submission
from casebook.runs import locate
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, find_run
from casebook.storage import Storage
from tests.factories import settings_for, sources, write_docs


def make_run(settings: Settings, docs: Path, company: str) -> Manifest:
    submission = Submission(company_name=company, company_description="Freight", use_cases_count=2)
    return create_run(settings, submission, sources(docs))


def no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, listing the company folders fails the test."""

    def scanned(self: Storage) -> list[str]:
        raise AssertionError("the company folders were scanned")

    monkeypatch.setattr(Storage, "companies", scanned)


def test_a_new_run_is_found_through_its_pointer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1")
    docs = write_docs(tmp_path / "docs")
    runs = [make_run(settings, docs, name) for name in ("Acme Corp", "Beta BV", "Gamma GmbH")]
    storage = Storage(settings.storage_url)
    assert storage.companies() == sorted(m.company_slug for m in runs)  # `.runs` is no company
    pointer = Path(storage.root) / ".runs" / runs[1].run_id
    assert pointer.is_file() and pointer.read_text() == runs[1].company_slug  # a file, no folder per run
    no_scan(monkeypatch)
    assert [find_run(settings, m.run_id).slug for m in runs] == [m.company_slug for m in runs]
    with pytest.raises(RunNotFound):
        find_run(settings, "../x")


def test_a_run_from_before_the_pointers_is_scanned_for_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1")
    manifest = make_run(settings, write_docs(tmp_path / "docs"), "Acme Corp")
    storage = Storage(settings.storage_url)
    pointer = Path(storage.root) / ".runs" / manifest.run_id
    pointer.unlink()
    assert find_run(settings, manifest.run_id).slug == manifest.company_slug  # scanned
    assert pointer.read_text() == manifest.company_slug  # and pointed
    no_scan(monkeypatch)
    assert find_run(settings, manifest.run_id).slug == manifest.company_slug


@pytest.mark.parametrize("cut", ["", "acme-co", "\udcff-not-a-slug/.."])
def test_a_pointer_cut_by_a_crash_or_at_a_stranger_is_not_trusted(tmp_path: Path, cut: str) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1")
    manifest = make_run(settings, write_docs(tmp_path / "docs"), "Acme Corp")
    pointer = Path(Storage(settings.storage_url).root) / ".runs" / manifest.run_id
    pointer.write_bytes(cut.encode("utf-8", "surrogateescape"))  # empty, a prefix, or garbage
    assert find_run(settings, manifest.run_id).slug == manifest.company_slug  # scanned
    assert pointer.read_text() == manifest.company_slug


def test_pointers_of_the_form_before_are_still_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until this version a pointer was a folder per run holding an empty file named after the company."""
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1")
    manifest = make_run(settings, write_docs(tmp_path / "docs"), "Acme Corp")
    storage = Storage(settings.storage_url)
    pointer = Path(storage.root) / ".runs" / manifest.run_id
    pointer.unlink()
    pointer.mkdir()
    (pointer / "stale-0000").touch()  # a name at a company without the run is not trusted
    assert find_run(settings, manifest.run_id).slug == manifest.company_slug  # scanned
    assert (pointer / manifest.company_slug).is_file()  # and pointed, in the folder's own form
    no_scan(monkeypatch)
    assert find_run(settings, manifest.run_id).slug == manifest.company_slug


def test_an_unknown_run_is_not_found(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1")
    make_run(settings, write_docs(tmp_path / "docs"), "Acme Corp")
    with pytest.raises(RunNotFound, match="no run 'nope'"):
        find_run(settings, "nope")


def test_pointers_on_s3(s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9/v1", storage_url=f"s3://{s3_bucket}/p")
    docs = write_docs(tmp_path / "docs")
    first, second = make_run(settings, docs, "Acme Corp"), make_run(settings, docs, "Beta BV")
    storage = Storage(settings.storage_url)
    assert storage.companies() == sorted([first.company_slug, second.company_slug])
    pointer = f"{storage.root}/{locate.INDEX}/{first.run_id}"
    assert storage.fs.cat_file(pointer) == first.company_slug.encode()
    storage.fs.rm_file(pointer)  # an old run: the pointer of the form before
    storage.fs.pipe_file(f"{pointer}/{first.company_slug}", b"")
    no_scan(monkeypatch)
    assert find_run(settings, first.run_id).slug == first.company_slug
    assert [find_run(settings, m.run_id).slug for m in (first, second)] == [first.company_slug, second.company_slug]


def test_run_ids_made_in_one_second_never_meet() -> None:
    """Run ids name workflows across companies: 20,000 in one second are all distinct (with six
    random hex digits, about 12 pairs would meet; a busy intake once gave two submissions one id)."""
    from datetime import UTC, datetime

    from casebook.runs.manifest import new_run_id

    now = datetime(2026, 12, 4, 16, 20, 8, tzinfo=UTC)
    ids = [new_run_id(now) for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("20261204-162008-") for i in ids)
