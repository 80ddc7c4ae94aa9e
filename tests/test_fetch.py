"""Documents by URL against a real HTTPS server on loopback (its own CA): what is fetched, what is
refused, what is retried, and where a provider's token goes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook.errors import DownloadFailed, URLRefused
from casebook.fetch import FetchConfig, RemoteDocument, check_document_url, download
from casebook.testing.file_server import FileServer

MD = b"# Northwind\n\nInvoice matching is manual and takes nine people in finance.\n"


@pytest.fixture
def files() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server


def config(files: FileServer, **overrides: object) -> FetchConfig:
    values: dict[str, object] = {
        "max_bytes": 64 * 1024, "allow_private": True, "ca_file": str(files.ca_file), "attempts": 3,
        "backoff_s": 0.01, "timeout_s": 10.0,
    }
    values.update(overrides)
    return FetchConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/a.pdf", "must be https"),
        ("ftp://example.com/a.pdf", "must be https"),
        ("https:///nohost", "https"),
        ("https://127.0.0.1/a.pdf", "loopback"),
        ("https://localhost/a.pdf", "loopback"),
        ("https://10.0.0.5/a.pdf", "private"),
        ("https://100.64.0.1/a.pdf", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[::ffff:10.0.0.5]/a.pdf", "IPv4-mapped"),
        ("https://[64:ff9b::a00:5]/a.pdf", "NAT64"),
        ("https://[2002:a00:5::1]/a.pdf", "6to4"),
        ("https://example.com/" + "a" * 2100, "at most 2048"),
    ],
)
def test_refused_without_any_network_access(url: str, reason: str) -> None:
    with pytest.raises(URLRefused, match=reason):
        check_document_url(url, allow_private=False)


async def test_a_document_is_downloaded_and_named(files: FileServer) -> None:
    url = files.add("/reports/q3%20review.md", MD, content_type="text/markdown")
    got = await download(RemoteDocument(url=url), config(files))
    assert got.data == MD and got.name == "q3 review.md"
    named = await download(RemoteDocument(url=url, name="board/../notes.md"), config(files))
    assert named.name == "notes.md"  # a name never carries folders
    disposition = {"Content-Disposition": 'attachment; filename="plan.md"'}
    files.add("/download", MD, content_type="text/markdown", **disposition)
    assert (await download(RemoteDocument(url=files.url("/download")), config(files))).name == "plan.md"
    files.add("/noext", MD, content_type="text/plain")
    assert (await download(RemoteDocument(url=files.url("/noext")), config(files))).name == "noext.txt"


async def test_loopback_is_refused_unless_allowed(files: FileServer) -> None:
    url = files.add("/a.md", MD)
    with pytest.raises(URLRefused, match="loopback"):
        await download(RemoteDocument(url=url), config(files, allow_private=False))
    assert files.requests == []  # refused before connecting


async def test_transient_failures_are_retried_then_succeed(files: FileServer) -> None:
    files.add("/flaky.md", MD)
    files.fail("/flaky.md", [503, 429])
    got = await download(RemoteDocument(url=files.url("/flaky.md")), config(files))
    assert got.data == MD and files.paths() == ["/flaky.md"] * 3


async def test_permanent_failures_are_not_retried(files: FileServer) -> None:
    with pytest.raises(DownloadFailed, match="HTTP 404") as missing:
        await download(RemoteDocument(url=files.url("/gone.pdf")), config(files))
    assert not missing.value.transient and files.paths() == ["/gone.pdf"]
    files.add("/always.md", MD)
    files.fail("/always.md", [500, 500, 500, 500])
    with pytest.raises(DownloadFailed, match="HTTP 500") as down:
        await download(RemoteDocument(url=files.url("/always.md")), config(files, attempts=3))
    assert down.value.transient and files.paths().count("/always.md") == 3


async def test_size_and_type_caps(files: FileServer) -> None:
    files.add("/big.md", b"x" * (64 * 1024 + 1), content_type="text/markdown")
    with pytest.raises(DownloadFailed, match="limit per file"):
        await download(RemoteDocument(url=files.url("/big.md")), config(files))
    files.add("/bundle.tar.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 64, content_type="application/gzip")
    with pytest.raises(DownloadFailed, match="gzip archive"):
        await download(RemoteDocument(url=files.url("/bundle.tar.gz")), config(files))


async def test_redirects_are_followed_and_checked_again(files: FileServer) -> None:
    files.add("/final.md", MD)
    files.redirect("/hop", "/final.md")
    assert (await download(RemoteDocument(url=files.url("/hop")), config(files))).data == MD
    files.redirect("/to-http", f"http://127.0.0.1:{files.port}/final.md")
    with pytest.raises(URLRefused, match="must be https"):
        await download(RemoteDocument(url=files.url("/to-http")), config(files))
    files.redirect("/to-metadata", "https://169.254.169.254/latest/meta-data/")
    with pytest.raises(URLRefused, match="link-local"):  # even with private networks allowed
        await download(RemoteDocument(url=files.url("/to-metadata")), config(files))
    files.redirect("/loop", "/loop")
    with pytest.raises(DownloadFailed, match="redirects"):
        await download(RemoteDocument(url=files.url("/loop")), config(files))


async def test_a_providers_token_goes_only_to_its_own_host(files: FileServer) -> None:
    files.add("/typeform/file.md", MD)
    token = config(files, tokens={"typeform": "tfp_secret_token"})
    await download(RemoteDocument(url=files.url("/typeform/file.md"), auth="typeform"), token)
    await download(RemoteDocument(url=files.url("/typeform/file.md")), token)  # not a Typeform file
    files.redirect("/typeform/moved", f"https://localhost:{files.port}/typeform/file.md")
    await download(RemoteDocument(url=files.url("/typeform/moved"), auth="typeform"), token)
    seen = [(path, headers.get("authorization")) for path, headers in files.requests]
    assert seen == [
        ("/typeform/file.md", "Bearer tfp_secret_token"),
        ("/typeform/file.md", None),
        ("/typeform/moved", "Bearer tfp_secret_token"),
        ("/typeform/file.md", None),  # another host after the redirect: no token
    ]


async def test_a_runs_downloads_are_recorded_so_an_ingest_run_again_fetches_only_what_is_missing(
    files: FileServer, tmp_path: Path
) -> None:
    """fetch_remote records each outcome as it happens: a retried or resumed ingest asks the file
    host only for what it has no outcome for, and a URL that could not be used stays skipped."""
    from casebook.runs.remote import fetch_remote, stage_remote
    from casebook.storage import Storage

    company = Storage(str(tmp_path / "outputs")).company("Fetched Ltd")
    files.add("/a.md", MD, content_type="text/markdown")
    files.add("/b.md", MD + b"More.\n", content_type="text/markdown")
    documents = [RemoteDocument(url=files.url(p)) for p in ("/a.md", "/gone.pdf", "/b.md")]
    stage_remote(company, "run-f", documents)
    company.write_json("runs/run-f/inputs/fetched.json", {"0": {"name": "a.md"}})  # an earlier attempt's
    company.write_bytes("runs/run-f/inputs/url-0000", MD)
    sources, skipped = await fetch_remote(company, "run-f", config(files))
    assert [(s.name, s.data) for s in sources] == [("a.md", MD), ("b.md", MD + b"More.\n")]
    assert [(s.file, "HTTP 404" in s.reason) for s in skipped] == [(files.url("/gone.pdf"), True)]
    assert sorted(files.paths()) == ["/b.md", "/gone.pdf"]  # /a.md was downloaded before
    again, skipped_again = await fetch_remote(company, "run-f", config(files))
    assert [s.name for s in again] == ["a.md", "b.md"] and len(skipped_again) == 1
    assert sorted(files.paths()) == ["/b.md", "/gone.pdf"]  # nothing asked for twice
