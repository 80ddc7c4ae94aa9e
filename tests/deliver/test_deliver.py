"""Delivery destinations: a local folder, an S3 prefix (moto on loopback), Google Drive
(FakeDrive on loopback), the dispatcher that runs them, and how destinations are parsed."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from casebook.deliver import (
    CallbackTarget,
    DeliveryConfig,
    DeliveryOutcome,
    Destination,
    DriveTarget,
    FolderTarget,
    S3Target,
    collect_final_files,
    deliver_run,
    destinations_for,
    merge_outcomes,
    parse_destinations,
    pending,
    split_items,
)
from casebook.errors import ConfigError, InputError, StorageError
from casebook.models import RunStatus, Submission
from casebook.runs.runner import create_run, execute
from casebook.storage import Storage
from casebook.testing.fake_drive import FakeDrive
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for, sources, write_docs
from tests.moto_s3 import keys, use_moto

FILES = {"FINAL_REPORT_r1.md": b"# Report\n", "FINAL_REPORT_r1.ready": b'{"run_id": "r1"}'}
COMMON: dict[str, Any] = {"run_id": "r1", "company_slug": "acme-1a2b3c4d", "company_name": "Acme"}
DRIVE_FOLDER = "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- folder -----------------------------------------------------------------------------------


def test_folder_delivery_copies_and_a_second_delivery_changes_nothing(tmp_path: Path) -> None:
    target = FolderTarget(path=str(tmp_path / "reports"))
    [first] = run(
        deliver_run([target], FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    folder = tmp_path / "reports" / "acme-1a2b3c4d"
    assert first.status == "done" and first.kind == "folder"
    assert first.destination == f"folder:{(tmp_path / 'reports').resolve()}"
    assert first.links == [(folder / n).as_uri() for n in FILES]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == FILES
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    [again] = run(
        deliver_run([target], FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    assert again.status == "done" and again.links == first.links
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps  # not rewritten

    changed = {**FILES, "FINAL_REPORT_r1.md": b"# Report v2\n"}
    run(deliver_run([target], changed, status="succeeded", config=DeliveryConfig(), **COMMON))
    assert (folder / "FINAL_REPORT_r1.md").read_bytes() == b"# Report v2\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)  # no temp files left


def test_a_folder_that_cannot_be_written_is_a_failed_outcome(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    [outcome] = run(
        deliver_run(
            [FolderTarget(path=str(blocker))],
            FILES,
            status="succeeded",
            config=DeliveryConfig(),
            **COMMON,
        )
    )
    assert outcome.status == "failed" and outcome.error


# -- S3 ---------------------------------------------------------------------------------------


def test_s3_delivery_writes_the_same_keys_every_time(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_moto(monkeypatch, moto_endpoint, tmp_path)
    bucket = f"deliver-{uuid.uuid4().hex[:10]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    target = S3Target(url=f"s3://{bucket}/reports/")
    [first] = run(
        deliver_run([target], FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    assert first.status == "done", first.error
    expected = [f"reports/acme-1a2b3c4d/{name}" for name in sorted(FILES)]
    assert keys(bucket) == expected
    assert first.links == [f"s3://{bucket}/reports/acme-1a2b3c4d/{n}" for n in FILES]
    [second] = run(
        deliver_run([target], FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    assert second.status == "done" and keys(bucket) == expected
    body = boto3.client("s3").get_object(Bucket=bucket, Key=expected[0])["Body"].read()
    assert body == FILES["FINAL_REPORT_r1.md"]

    [missing] = run(
        deliver_run(
            [S3Target(url="s3://no-such-bucket-casebook/x")],
            FILES,
            status="succeeded",
            config=DeliveryConfig(),
            **COMMON,
        )
    )
    assert missing.status == "failed" and missing.error


# -- Drive ------------------------------------------------------------------------------------


def test_drive_delivery_twice_leaves_one_file_per_name(tmp_path: Path) -> None:
    with FakeDrive() as drive:
        creds = drive.service_account_file(tmp_path / "sa.json")
        out = drive.add_folder("Client reports")
        config = DeliveryConfig(drive_credentials_file=creds, drive_endpoint=drive.endpoint)
        target = DriveTarget(folder=drive.folder_link(out))
        [first] = run(deliver_run([target], FILES, status="succeeded", config=config, **COMMON))
        [second] = run(deliver_run([target], FILES, status="succeeded", config=config, **COMMON))
        children = drive.children(out)
    assert first.status == "done", first.error
    assert second.links == first.links and len(first.links) == 1
    assert [c.name for c in children] == ["FINAL_REPORT_r1.md"]  # the .ready marker stays home
    assert first.destination == f"drive:{out}"


def test_drive_without_credentials_fails_and_hides_nothing_else(tmp_path: Path) -> None:
    destinations: list[Destination] = [
        DriveTarget(folder=DRIVE_FOLDER),
        FolderTarget(path=str(tmp_path / "out")),
    ]
    outcomes = run(
        deliver_run(destinations, FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    assert [(o.kind, o.status) for o in outcomes] == [("drive", "failed"), ("folder", "done")]
    assert "CASEBOOK_DRIVE_CREDENTIALS_FILE" in (outcomes[0].error or "")


# -- the dispatcher ---------------------------------------------------------------------------


def test_every_destination_reports_even_when_one_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casebook.deliver import dispatch

    async def broken(*args: Any, **kwargs: Any) -> DeliveryOutcome:
        raise RuntimeError("botocore exploded")

    monkeypatch.setattr(dispatch, "deliver_s3", broken)
    destinations: list[Destination] = [
        S3Target(url="s3://bucket/p"),
        FolderTarget(path=str(tmp_path / "out")),
        CallbackTarget(url="https://hooks.example.com/x"),
    ]
    outcomes = run(
        deliver_run(destinations, FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    assert [(o.kind, o.status) for o in outcomes] == [
        ("s3", "failed"),
        ("folder", "done"),
        ("callback", "failed"),
    ]
    assert outcomes[0].error == "RuntimeError: botocore exploded"
    assert "CASEBOOK_CALLBACK_SECRET" in (outcomes[2].error or "")  # no secret: nothing was sent


def test_resume_delivers_only_what_is_pending(tmp_path: Path) -> None:
    folder = FolderTarget(path=str(tmp_path / "out"))
    drive = DriveTarget(folder=DRIVE_FOLDER)
    earlier = run(
        deliver_run([folder, drive], FILES, status="succeeded", config=DeliveryConfig(), **COMMON)
    )
    assert [o.status for o in earlier] == ["done", "failed"]
    todo = pending([folder, drive], earlier)
    assert todo == [drive]
    retried = [
        DeliveryOutcome(destination=drive.label, kind="drive", status="done", links=["https://x"])
    ]
    merged = merge_outcomes(earlier, retried)
    assert [(o.kind, o.status) for o in merged] == [("folder", "done"), ("drive", "done")]
    assert pending([folder, drive], merged) == []


def test_collect_final_files_puts_the_ready_marker_last(tmp_path: Path) -> None:
    company = Storage(str(tmp_path / "outputs")).company("Acme")
    with pytest.raises(StorageError, match="no final report"):
        collect_final_files(company, "r1")
    company.write_text("final/FINAL_REPORT_r1.md", "# Report")
    company.write_text(
        "final/FINAL_REPORT_r1.ready",
        json.dumps({"run_id": "r1", "files": ["final/FINAL_REPORT_r1.md"]}),
    )
    files = collect_final_files(company, "r1")
    assert list(files) == ["FINAL_REPORT_r1.md", "FINAL_REPORT_r1.ready"]
    assert files["FINAL_REPORT_r1.md"] == b"# Report"


def test_a_whole_run_then_delivery_as_the_deliver_step_would(tmp_path: Path) -> None:
    """What the pipeline's deliver step does after finalize, on a real run's files."""
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        submission = Submission.parse({"company_name": "Northwind", "use_cases_count": 2})
        created = create_run(settings, submission, sources(write_docs(tmp_path / "docs")))
        manifest = asyncio.run(execute(settings, created.company_slug, created.run_id))
    assert manifest.status is RunStatus.succeeded, manifest.error
    company = Storage(settings.storage_url).company_by_slug(manifest.company_slug)
    config = DeliveryConfig(folder=tmp_path / "reports")
    destinations = parse_destinations(["folder"], config)
    files = collect_final_files(company, manifest.run_id)
    outcomes = run(
        deliver_run(
            destinations,
            files,
            run_id=manifest.run_id,
            company_slug=company.slug,
            company_name=manifest.company_name,
            status=manifest.status.value,
            config=config,
        )
    )
    assert [o.status for o in outcomes] == ["done"]
    delivered = tmp_path / "reports" / company.slug / f"FINAL_REPORT_{manifest.run_id}.md"
    assert delivered.read_text() == company.read_text(f"final/FINAL_REPORT_{manifest.run_id}.md")
    record = [o.model_dump(mode="json") for o in outcomes]  # what the manifest would hold
    assert json.loads(json.dumps(record))[0]["destination"].startswith("folder:")


# -- parsing destinations ---------------------------------------------------------------------


def test_destinations_from_settings(tmp_path: Path) -> None:
    config = DeliveryConfig(
        folder=tmp_path / "reports",
        drive_folder=DRIVE_FOLDER,
        s3_url="s3://b/reports",
        callback_url="https://hooks.example.com/casebook",
    )
    parsed = parse_destinations(
        [
            "folder",
            "drive",
            "s3",
            "callback",
            "folder:/srv/casebook/out",
            DRIVE_FOLDER,
            "s3://other/x/",
            {"kind": "callback", "url": "https://hooks.example.com/other"},
            "folder",
        ],
        config,
    )
    assert [type(d).__name__ for d in parsed] == [
        "FolderTarget",
        "DriveTarget",
        "S3Target",
        "CallbackTarget",
        "FolderTarget",
        "S3Target",
        "CallbackTarget",
    ]  # duplicates (the second "folder", the same Drive folder) dropped
    assert parsed[0].label == f"folder:{(tmp_path / 'reports').resolve()}"
    assert parsed[5].label == "s3://other/x"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("ftp://x", "unknown kind"),
        ("https://hooks.example.com/x", "unknown kind"),
        ("drive", "no Drive folder"),
        ("drive:https://example.com/folders/x", "only Google Drive links"),
        (f"drive:{DRIVE_FOLDER.replace('drive/folders', 'file/d')}", "file link"),
        ("s3", "no S3 prefix"),
        ("s3://", "s3://bucket"),
        ("callback", "no URL"),
        ("callback:http://example.com/x", "only allowed to loopback"),
        ("callback:https://169.254.169.254/", "link-local"),
        ("folder:", "nothing after"),
    ],
)
def test_bad_destinations_are_named(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_destinations([item], DeliveryConfig())


def test_a_submission_may_not_write_anywhere(tmp_path: Path) -> None:
    config = DeliveryConfig(folder=tmp_path / "reports", s3_allowed=("s3://shared/clients",))
    [inside] = parse_destinations(["folder:acme/q4"], config, untrusted=True)
    assert inside.label == f"folder:{(tmp_path / 'reports' / 'acme' / 'q4').resolve()}"
    [default] = parse_destinations(["folder"], config, untrusted=True)
    assert default.label == f"folder:{(tmp_path / 'reports').resolve()}"
    for bad in [
        "folder:/etc",
        "folder:../elsewhere",
        "folder:a/../../b",
        "s3://shared/clientsX",
        "s3://other/x",
    ]:
        with pytest.raises(InputError):
            parse_destinations([bad], config, untrusted=True)
    [ok] = parse_destinations(["s3://shared/clients/acme"], config, untrusted=True)
    assert ok.label == "s3://shared/clients/acme"


def test_config_from_settings_reads_secrets_without_showing_them(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from pydantic import SecretStr

    secret = "whsec_" + base64.b64encode(b"x" * 32).decode()
    settings = SimpleNamespace(
        deliver_folder=tmp_path,
        callback_secret=SecretStr(secret),
        callback_attempts=2,
        drive_upload_scope="drive",
        deliver_s3_allowed=["s3://a/b"],
    )
    config = DeliveryConfig.from_settings(settings)
    assert (
        config.callback_secret == secret
        and config.callback_attempts == 2
        and config.folder == tmp_path
    )
    assert config.drive_scope == "https://www.googleapis.com/auth/drive" and config.s3_allowed == (
        "s3://a/b",
    )
    assert DeliveryConfig.from_settings(object()) == DeliveryConfig()


def test_list_settings_are_json_or_comma_separated() -> None:
    assert split_items("folder, s3://b/p ,callback") == ["folder", "s3://b/p", "callback"]
    assert split_items('["callback:https://h.example.com/x?a=1,2", "folder"]') == [
        "callback:https://h.example.com/x?a=1,2",
        "folder",
    ]
    assert split_items(None) == [] and split_items(["a"]) == ["a"] and split_items(" ") == []
    with pytest.raises(ConfigError, match="JSON list"):
        split_items("[nope")


def test_a_run_failed_callback_does_not_count_as_delivered() -> None:
    hook = CallbackTarget(url="https://hooks.example.com/casebook")
    failed_notice = DeliveryOutcome(
        destination=hook.label, kind="callback", status="done", event="run.failed"
    )
    assert pending([hook], [failed_notice]) == [hook]
    completed = DeliveryOutcome(
        destination=hook.label, kind="callback", status="done", event="run.completed"
    )
    merged = merge_outcomes([failed_notice], [completed])
    assert [o.event for o in merged] == ["run.failed", "run.completed"]  # both kept
    assert pending([hook], merged) == []


def test_destinations_for_a_run(tmp_path: Path) -> None:
    from types import SimpleNamespace

    settings = SimpleNamespace(
        deliver="folder, callback:https://hooks.example.com/x", deliver_folder=tmp_path / "reports"
    )
    assert [d.kind for d in destinations_for(settings)] == ["folder", "callback"]
    assert [d.kind for d in destinations_for(object())] == ["folder"]  # the default
    assert destinations_for(settings, []) == []  # a submission may ask for no delivery
    [own] = destinations_for(settings, ["folder:acme"])
    assert own.label == f"folder:{(tmp_path / 'reports' / 'acme').resolve()}"
    with pytest.raises(InputError):
        destinations_for(settings, ["folder:/etc"])
