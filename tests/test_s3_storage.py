"""Storage on S3: every operation the pipeline uses, against moto's server (the real S3 HTTP
API) on loopback, including a whole run whose storage root is s3://bucket/prefix."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3fs

from casebook.errors import StorageError
from casebook.models import RunStatus, Submission
from casebook.runs.manifest import Manifest
from casebook.runs.runner import create_run, execute, find_run
from casebook.storage import FOLDERS, Storage
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for, sources, write_docs
from tests.moto_s3 import keys, use_moto

SUBMISSION = {
    "company_name": "Northwind Logistics",
    "company_description": "Freight",
    "use_cases_count": 2,
}


def test_every_storage_operation_on_s3(s3_bucket: str) -> None:
    storage = Storage(f"s3://{s3_bucket}/tenants/one/")
    assert not storage.is_local and storage.root == f"{s3_bucket}/tenants/one"
    assert storage.companies() == []
    company = storage.company("Acme Corp")
    company.write_bytes("data/a.txt", b"12345")
    company.write_text("data/b.txt", "123")
    company.write_json("runs/r.json", {"x": "é"})
    company.write_text("runs/r/inputs/0000", "nested")
    company.write_text("final/F.md", "x")

    assert company.exists("data/a.txt") and not company.exists("data/nope.txt")
    assert company.read_bytes("data/a.txt") == b"12345"
    assert company.read_json("runs/r.json") == {"x": "é"}
    assert company.list("data") == ["a.txt", "b.txt"]
    assert company.list("runs") == ["r", "r.json"]
    assert company.list("index") == []
    assert storage.companies() == [company.slug]
    assert f"tenants/one/{company.slug}/final/F.md" in keys(s3_bucket)

    stats = company.stats()
    assert set(stats) == set(FOLDERS)
    assert (stats["data"].files, stats["data"].bytes) == (2, 8)
    assert (stats["runs"].files, stats["final"].files, stats["part_a"].files) == (2, 1, 0)

    company.write_text("data/a.txt", "replaced")
    assert company.read_text("data/a.txt") == "replaced"
    company.delete("data/a.txt")
    company.delete("data/a.txt")  # deleting twice is fine
    assert company.list("data") == ["b.txt"]
    with pytest.raises(StorageError, match="does not exist"):
        company.read_bytes("data/a.txt")
    with pytest.raises(StorageError, match="not a local folder"):
        company.local_path("data/b.txt")

    company.remove_all()
    assert storage.companies() == [] and keys(s3_bucket) == []


def test_a_second_storage_object_sees_writes_made_elsewhere(s3_bucket: str) -> None:
    """Two workers: no listing cache hides the other's files."""
    first = Storage(f"s3://{s3_bucket}/p").company("Acme")
    second = Storage(f"s3://{s3_bucket}/p").company("Acme")
    assert second.list("final") == [] and not second.exists("final/F.ready")
    boto3.client("s3").put_object(Bucket=s3_bucket, Key=f"p/{first.slug}/final/F.ready", Body=b"{}")
    assert second.exists("final/F.ready")
    assert second.list("final") == ["F.ready"]


def test_local_file_round_trips_an_sqlite_index(s3_bucket: str) -> None:
    import sqlite3

    company = Storage(f"s3://{s3_bucket}/p").company("Acme")
    with company.local_file("index/db.sqlite") as path:
        assert not path.exists()
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE t (v TEXT)")
        db.execute("INSERT INTO t VALUES ('kept')")
        db.commit()
        db.close()
    assert company.exists("index/db.sqlite")
    with company.local_file("index/db.sqlite", write_back=False) as path:
        db = sqlite3.connect(path)
        assert db.execute("SELECT v FROM t").fetchall() == [("kept",)]
        db.execute("INSERT INTO t VALUES ('not written back')")
        db.commit()
        db.close()
    with company.local_file("index/db.sqlite", write_back=False) as path:
        assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone() == (1,)
    with pytest.raises(RuntimeError), company.local_file("index/db.sqlite") as path:
        path.write_bytes(b"half-written")
        raise RuntimeError("a failed step")
    with company.local_file("index/db.sqlite", write_back=False) as path:
        assert path.read_bytes() != b"half-written"  # a failed block is not copied back


def test_unreachable_endpoint_is_a_storage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_moto(monkeypatch, "http://127.0.0.1:9", tmp_path)
    options = {
        "config_kwargs": {"connect_timeout": 1, "retries": {"max_attempts": 1}},
        "retries": 1,
    }
    company = Storage("s3://casebook-nowhere/p", storage_options=options).company("Acme")
    with pytest.raises(StorageError, match="cannot write"):
        company.write_text("final/x.md", "x")
    with pytest.raises(StorageError, match="cannot read"):
        company.read_text("final/x.md")
    s3fs.S3FileSystem.clear_instance_cache()


def test_endpoint_can_be_given_as_a_storage_option(
    s3_bucket: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    options = {"client_kwargs": {"endpoint_url": moto_endpoint}}
    company = Storage(f"s3://{s3_bucket}/p", storage_options=options).company("Acme")
    company.write_text("final/x.md", "via option")
    assert company.read_text("final/x.md") == "via option"


def test_full_run_on_s3_writes_the_report_before_its_ready_marker(
    s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    original = s3fs.S3FileSystem._pipe_file

    async def recording_pipe_file(self: Any, path: str, data: bytes, **kwargs: Any) -> Any:
        events.append(("start", path))
        result = await original(self, path, data, **kwargs)
        events.append(("done", path))
        return result

    monkeypatch.setattr(s3fs.S3FileSystem, "_pipe_file", recording_pipe_file)
    url = f"s3://{s3_bucket}/casebook"
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url, storage_url=url)
        docs = write_docs(tmp_path / "docs")
        created = create_run(settings, Submission.parse(SUBMISSION), sources(docs))
        final = asyncio.run(execute(settings, created.company_slug, created.run_id))
    assert final.status is RunStatus.succeeded, final.error
    assert not (tmp_path / "outputs").exists()  # nothing went to a local folder

    run, slug = final.run_id, final.company_slug
    stored = keys(s3_bucket)
    prefix = f"casebook/{slug}"
    for name in [
        f"final/FINAL_REPORT_{run}.md",
        f"final/FINAL_REPORT_{run}.ready",
        f"runs/{run}.json",
        "index/passages.sqlite",
        f"part_a/report_draft_{run}.md",
        f"part_b/report_enhanced_{run}.md",
        f"vector_ids/index_{run}.json",
    ]:
        assert f"{prefix}/{name}" in stored, name

    company = find_run(settings, run)
    manifest = Manifest.load(company, run)
    assert manifest.status is RunStatus.succeeded
    assert manifest.final_report == f"final/FINAL_REPORT_{run}.md"
    assert set(manifest.inputs) == {"annual-report.pdf", "it-landscape.md", "tickets.csv"}
    report = company.read_text(manifest.final_report)
    assert "## Sources" in report and "annual-report.pdf" in report
    marker = json.loads(company.read_text(f"final/FINAL_REPORT_{run}.ready"))
    assert marker["files"] == [f"final/FINAL_REPORT_{run}.md"]

    md = f"{s3_bucket}/{prefix}/final/FINAL_REPORT_{run}.md"
    ready = f"{s3_bucket}/{prefix}/final/FINAL_REPORT_{run}.ready"
    assert events.index(("done", md)) < events.index(("start", ready))
    assert [e for e in events if e[1] == ready] == [("start", ready), ("done", ready)]

    # a second execute of a finished run changes nothing
    again = asyncio.run(execute(settings, slug, run))
    assert again.status is RunStatus.succeeded and keys(s3_bucket) == stored
