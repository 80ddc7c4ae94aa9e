"""Google Drive in and out against FakeDrive: the Drive v3 REST protocol over TLS on loopback,
with service-account auth against its token endpoint (the credentials file's token_uri)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook.drive import (
    FULL_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    _service,
    download_folder,
    parse_drive_link,
    upload_report,
)
from casebook.errors import ConfigError, InputError
from casebook.testing.fake_drive import FakeDrive, parse_query

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MB = 1024 * 1024
FOLDER_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"


@pytest.fixture(scope="module")
def drive() -> Iterator[FakeDrive]:
    with FakeDrive(max_page_size=3) as server:
        yield server


@pytest.fixture
def creds(drive: FakeDrive, tmp_path: Path) -> Path:
    return drive.service_account_file(tmp_path / "service-account.json")


def download(drive: FakeDrive, creds: Path, folder: str, **kw: int) -> tuple[list, list]:
    limits = {"max_files": 50, "max_total_bytes": 10 * MB, **kw}
    return download_folder(drive.folder_link(folder), creds, endpoint=drive.endpoint, **limits)


# -- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "kind"),
    [
        (f"https://drive.google.com/drive/folders/{FOLDER_ID}", "folder"),
        (f"https://drive.google.com/drive/folders/{FOLDER_ID}?usp=sharing", "folder"),
        (f"https://drive.google.com/drive/u/1/folders/{FOLDER_ID}", "folder"),
        (f"https://drive.google.com/file/d/{FOLDER_ID}/view?usp=drive_link", "file"),
        (f"https://docs.google.com/document/d/{FOLDER_ID}/edit#heading=h.1", "file"),
        (f"https://docs.google.com/spreadsheets/d/{FOLDER_ID}/edit?gid=0", "file"),
        (f"https://docs.google.com/presentation/d/{FOLDER_ID}/edit", "file"),
        (f"https://drive.google.com/open?id={FOLDER_ID}", "item"),
        (f"https://drive.google.com/uc?id={FOLDER_ID}&export=download", "file"),
    ],
)
def test_drive_links_are_parsed(link: str, kind: str) -> None:
    assert parse_drive_link(link) == (kind, FOLDER_ID)


@pytest.mark.parametrize(
    "link",
    [
        f"http://drive.google.com/drive/folders/{FOLDER_ID}",
        f"https://drive.google.com.evil.example/drive/folders/{FOLDER_ID}",
        f"https://evil.example/drive.google.com/drive/folders/{FOLDER_ID}",
        f"https://user@drive.google.com/drive/folders/{FOLDER_ID}",
        f"https://drive.google.com:8443/drive/folders/{FOLDER_ID}",
        "https://drive.google.com/drive/folders/",
        "https://drive.google.com/drive/folders/short",
        "https://drive.google.com/drive/folders/../../etc",
        "https://www.dropbox.com/sh/abc/def",
        "file:///etc/passwd",
        "s3://bucket/key",
        "not a url",
    ],
)
def test_anything_but_a_drive_link_is_refused(link: str) -> None:
    with pytest.raises(InputError, match="only Google Drive links are accepted"):
        parse_drive_link(link)


def test_fake_understands_the_queries_the_client_sends() -> None:
    clauses = parse_query(
        "appProperties has { key='casebook_run_id' and value='r\\'1' } and 'abc' in parents "
        "and trashed=false and mimeType != 'application/vnd.google-apps.folder'"
    )
    assert [kind for kind, _ in clauses] == ["app", "parent", "trashed", "field"]


# -- in ---------------------------------------------------------------------------------------


def test_recursive_download_with_exports_pagination_and_skips(
    drive: FakeDrive, creds: Path
) -> None:
    root = drive.add_folder("Acme")
    sub = drive.add_folder("Finance", root)
    deeper = drive.add_folder("2025", sub)
    drive.add_file("notes.txt", b"plain notes", root, mime_type="text/plain")
    drive.add_file("budget.csv", b"a,b\n1,2\n", sub, mime_type="text/csv")
    drive.add_file("q4.pdf", b"%PDF-1.4 q4", deeper, mime_type="application/pdf")
    drive.add_file("old.txt", b"in the bin", root, mime_type="text/plain", trashed=True)
    drive.add_google_file("Strategy", root, kind="document", export=b"DOCX bytes")
    drive.add_google_file("Numbers", sub, kind="spreadsheet", export=b"XLSX bytes")
    drive.add_google_file("Pitch", root, kind="presentation", export=b"PPTX bytes")
    drive.add_google_file("Survey", root, kind="form")
    drive.add_file("demo.mp4", b"\x00" * 10, root, mime_type="video/mp4")
    outside = drive.add_folder("Elsewhere")
    drive.add_shortcut("Link to elsewhere", root, outside)
    target = drive.add_file("shared-elsewhere.txt", b"followed", outside, mime_type="text/plain")
    drive.add_shortcut("Shortcut to file", root, target)
    drive.add_shortcut("Dangling", root, "1NoSuchFileAnywhere0000000")

    lists_before = drive.count("GET", "/drive/v3/files") - drive.count("GET", "/drive/v3/files/")
    sources, skipped = download(drive, creds, root)

    got = {s.name: s.data for s in sources}
    assert got == {
        "notes.txt": b"plain notes",
        "Finance/budget.csv": b"a,b\n1,2\n",
        "Finance/2025/q4.pdf": b"%PDF-1.4 q4",
        "Strategy.docx": b"DOCX bytes",
        "Finance/Numbers.xlsx": b"XLSX bytes",
        "Pitch.pptx": b"PPTX bytes",
        "Shortcut to file": b"followed",
    }
    reasons = {s.file: s.reason for s in skipped}
    assert set(reasons) == {"Survey", "demo.mp4", "Link to elsewhere", "Dangling"}
    assert "cannot be exported" in reasons["Survey"]
    assert "shortcut to a folder" in reasons["Link to elsewhere"]
    assert "not shared" in reasons["Dangling"]

    lists = [r for r in drive.requests if r.path == "/drive/v3/files"][lists_before:]
    assert any("pageToken" in r.query for r in lists)  # 11 children, pages of 3
    assert all(r.query["supportsAllDrives"] == "true" for r in lists)
    assert all(r.query["includeItemsFromAllDrives"] == "true" for r in lists)
    exports = [r for r in drive.requests if r.path.endswith("/export")]
    assert {r.query["mimeType"] for r in exports} >= {DOCX}
    assert drive.token_requests[-1]["scope"] == READ_SCOPE  # the narrowest scope that reads


def test_shared_drive_folder_is_listed_with_its_drive_id(drive: FakeDrive, creds: Path) -> None:
    shared = drive.add_shared_drive("Team drive")
    folder = drive.add_folder("Reports", shared, drive_id=shared)
    drive.add_file("a.txt", b"in a shared drive", folder, mime_type="text/plain", drive_id=shared)
    drive.add_google_file("Memo", folder, kind="document", export=b"memo", drive_id=shared)
    sources, skipped = download(drive, creds, folder)
    assert sorted(s.name for s in sources) == ["Memo.docx", "a.txt"] and skipped == []
    last_list = [r for r in drive.requests if r.path == "/drive/v3/files"][-1]
    assert last_list.query["corpora"] == "drive" and last_list.query["driveId"] == shared


def test_a_single_file_link_downloads_that_file(drive: FakeDrive, creds: Path) -> None:
    doc = drive.add_google_file("Only this", None, kind="document", export=b"just me")
    link = f"https://docs.google.com/document/d/{doc}/edit"
    sources, _ = download_folder(
        link, creds, max_files=5, max_total_bytes=MB, endpoint=drive.endpoint
    )
    assert [(s.name, s.data) for s in sources] == [("Only this.docx", b"just me")]


def test_count_and_size_caps(drive: FakeDrive, creds: Path) -> None:
    root = drive.add_folder("Big")
    for i in range(5):
        drive.add_file(f"f{i}.txt", b"x" * 1000, root, mime_type="text/plain")
    with pytest.raises(InputError, match="more than 3 documents"):
        download(drive, creds, root, max_files=3)
    with pytest.raises(InputError, match="MB of documents"):
        download(drive, creds, root, max_total_bytes=4000)
    drive.add_google_file("Huge export", root, kind="document", export=b"y" * 3000)
    with pytest.raises(InputError, match="MB of documents"):  # caught after the export
        download(drive, creds, root, max_total_bytes=6000)
    sources, skipped = download(drive, creds, root, max_file_bytes=2000)
    assert len(sources) == 5 and [s.file for s in skipped] == ["Huge export.docx"]
    assert "over the" in skipped[0].reason


def test_export_too_large_for_google_is_skipped_with_a_reason(creds: Path, tmp_path: Path) -> None:
    with FakeDrive(export_limit_bytes=10) as small:
        account = small.service_account_file(tmp_path / "sa.json")
        root = small.add_folder("Docs")
        small.add_google_file("Long", root, kind="document", export=b"z" * 100)
        small.add_file("ok.txt", b"ok", root, mime_type="text/plain")
        sources, skipped = download(small, account, root)
    assert [s.name for s in sources] == ["ok.txt"]
    assert skipped[0].file == "Long.docx" and "too large for Google to export" in skipped[0].reason


def test_unshared_folder_names_the_service_account(drive: FakeDrive, creds: Path) -> None:
    with pytest.raises(InputError, match=r"casebook-test@casebook-test\.iam\.gserviceaccount\.com"):
        download(drive, creds, "1NotSharedWithUsAtAll00000")


def test_credentials_problems_are_config_errors(drive: FakeDrive, tmp_path: Path) -> None:
    folder = drive.add_folder("Any")
    with pytest.raises(ConfigError, match="does not exist"):
        download(drive, tmp_path / "missing.json", folder)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a service-account"):
        download(drive, tmp_path / "bad.json", folder)
    with FakeDrive() as other:  # a key the token endpoint does not know
        foreign = other.service_account_file(tmp_path / "foreign.json")
    info = json.loads(foreign.read_text())
    info["token_uri"] = drive.token_uri
    foreign.write_text(json.dumps(info))
    with pytest.raises(ConfigError, match="refused the service account"):
        download(drive, foreign, folder)


def test_transient_server_errors_are_retried(
    drive: FakeDrive, creds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import googleapiclient.http

    monkeypatch.setattr(googleapiclient.http.time, "sleep", lambda s: None)
    root = drive.add_folder("Flaky")
    drive.add_file("a.txt", b"a", root, mime_type="text/plain")
    drive.fail_next.append(("GET", "/drive/v3/files", 503))
    sources, _ = download(drive, creds, root)
    assert [s.name for s in sources] == ["a.txt"]
    assert not drive.fail_next


# -- out --------------------------------------------------------------------------------------


def test_upload_is_resumable_and_a_retry_never_makes_a_second_copy(
    drive: FakeDrive, creds: Path
) -> None:
    out = drive.add_folder("Reports out")
    report = b"# Report\n" + b"x" * (600 * 1024)
    files = {"FINAL_REPORT_r1.md": report, "FINAL_REPORT_r1.docx": b"docx"}
    puts_before = drive.count("PUT", "/upload/drive/v3/files")
    first = upload_report(
        files,
        drive.folder_link(out),
        creds,
        run_id="r1",
        endpoint=drive.endpoint,
        chunk_size=256 * 1024,
    )
    chunk_puts = drive.count("PUT", "/upload/drive/v3/files") - puts_before
    assert chunk_puts == 4  # 600 KB in 256 KB chunks, then the small file in one
    ranges = [r.headers.get("content-range") for r in drive.requests if r.method == "PUT"][-4:]
    assert ranges[0] == f"bytes 0-262143/{len(report)}"
    assert drive.token_requests[-1]["scope"] == WRITE_SCOPE

    uploads_before = drive.count("POST", "/upload/")
    second = upload_report(
        files, drive.folder_link(out), creds, run_id="r1", endpoint=drive.endpoint
    )
    assert second == first
    assert drive.count("POST", "/upload/") == uploads_before  # found, not uploaded again
    children = drive.children(out)
    assert sorted(c.name for c in children) == ["FINAL_REPORT_r1.docx", "FINAL_REPORT_r1.md"]
    stored = next(c for c in children if c.name == "FINAL_REPORT_r1.md")
    assert stored.data == report and stored.appProperties == {"casebook_run_id": "r1"}
    assert first[0]["link"].startswith("https://drive.google.com/file/d/")

    # changed content (e.g. a re-verified report) replaces the file in place
    third = upload_report(
        {"FINAL_REPORT_r1.md": b"v2"},
        drive.folder_link(out),
        creds,
        run_id="r1",
        endpoint=drive.endpoint,
    )
    assert third[0]["id"] == first[0]["id"] and stored.data == b"v2"
    assert len(drive.children(out)) == 2

    # another run's file of the same name is another file
    upload_report(
        {"FINAL_REPORT_r1.md": b"other"},
        drive.folder_link(out),
        creds,
        run_id="r2",
        endpoint=drive.endpoint,
    )
    assert len(drive.children(out)) == 3


def test_upload_needs_a_folder_link(drive: FakeDrive, creds: Path) -> None:
    with pytest.raises(InputError, match="file link"):
        upload_report(
            {"a.md": b"a"}, f"https://drive.google.com/file/d/{FOLDER_ID}/view", creds, run_id="r"
        )
    with pytest.raises(InputError, match="cannot upload into Drive folder"):
        upload_report(
            {"a.md": b"a"},
            drive.folder_link("1NoSuchFolder000000000000"),
            creds,
            run_id="r",
            endpoint=drive.endpoint,
        )


def test_a_read_only_token_cannot_write(drive: FakeDrive, creds: Path) -> None:
    folder = drive.add_folder("Read only")
    with pytest.raises(InputError, match="insufficientPermissions"):
        upload_report(
            {"a.md": b"a"},
            drive.folder_link(folder),
            creds,
            run_id="r",
            endpoint=drive.endpoint,
            scope=READ_SCOPE,
        )
    assert drive.children(folder) == []


def test_fake_serves_multipart_uploads_and_ranged_downloads(drive: FakeDrive, creds: Path) -> None:
    from googleapiclient.http import MediaIoBaseDownload, MediaIoBaseUpload

    service = _service(creds, [FULL_SCOPE], drive.endpoint)
    folder = drive.add_folder("Multipart")
    data = bytes(range(256)) * 1200
    media = MediaIoBaseUpload(io.BytesIO(data), mimetype="application/pdf", resumable=False)
    created = (
        service.files()
        .create(
            body={"name": "m.pdf", "parents": [folder]}, media_body=media, fields="id,name,size"
        )
        .execute()
    )
    assert created["size"] == str(len(data)) and drive.files[created["id"]].data == data
    assert drive.requests[-1].query["uploadType"] == "multipart"

    buffer = io.BytesIO()
    downloader = MediaIoBaseDownload(
        buffer, service.files().get_media(fileId=created["id"]), chunksize=100_000
    )
    done = False
    while not done:
        _, done = downloader.next_chunk()
    assert buffer.getvalue() == data
    assert sum(1 for r in drive.requests if r.headers.get("range")) == 4
