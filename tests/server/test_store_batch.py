"""The server's store batcher: submissions that arrive together are made by one call of
`create_runs` (one flush of the disk for all), each answered with its own run or error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from casebook.errors import InputError
from casebook.models import SourceFile, Submission
from casebook.runs.manifest import Manifest
from casebook.server import accept
from casebook.server.batching import Batcher
from casebook.server.context import store_runs
from tests.runs.test_create_runs import settings, stager
from tests.server.api import AUTH, MD, Api, files_json, running_api


def test_stores_that_arrive_together_are_one_batch(tmp_path: Path) -> None:
    made = settings(tmp_path)
    stores = Batcher(store_runs, name="store")

    async def main() -> list[object]:
        asked = [stager(made, f"Company {i}") for i in range(8)] + [stager(made, "No Docs Ltd", docs=False)]
        results = await asyncio.gather(*(stores.submit(s) for s in asked), return_exceptions=True)
        await stores.close()
        return results

    *stored, refused = asyncio.run(main())
    assert stores.batches == 1
    assert isinstance(refused, InputError)
    assert all(isinstance(s, tuple) and isinstance(s[0], Manifest) and s[1] is False for s in stored)
    assert len({s[0].run_id for s in stored if isinstance(s, tuple)}) == 8


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(tmp_path) as running:
        yield running


def test_a_slow_store_is_made_alone_and_holds_up_no_other(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large documents (or a Drive folder to download) are staged in a thread of their own: a
    submission that arrives meanwhile is stored and answered in a batch without waiting for it."""
    release, slow_started = threading.Event(), threading.Event()
    real = accept._stage

    def stage(ctx: Any, submission: Submission, *args: Any) -> Any:
        if submission.company_name == "Slow Co":
            slow_started.set()
            assert release.wait(60)
        return real(ctx, submission, *args)

    monkeypatch.setattr(accept, "_stage", stage)
    big = b"# Slow Co\n\n" + b"Invoice matching is manual and slow. " * 8000  # about 300 KB
    assert len(big) > accept.ALONE_BYTES

    def send(company: str, document: bytes) -> httpx.Response:
        with api.client() as c:
            body = {"company_name": company, "files": files_json(("notes.md", document))}
            return c.post("/v1/submissions", json=body, headers=AUTH)

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(send, "Slow Co", big)
        try:
            assert slow_started.wait(30)
            quick = send("Quick Co", MD)
            assert quick.status_code == 202 and not slow.done()  # answered while the slow one stages
        finally:
            release.set()
        assert slow.result(60).status_code == 202


def test_which_submissions_are_stored_alone() -> None:
    link = "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    drive = Submission(company_name="Drive Co", google_drive_link=link)
    plain = Submission(company_name="Plain Co")
    small, large = SourceFile("a.md", MD), SourceFile("b.md", b"x" * (accept.ALONE_BYTES + 1))
    assert accept.stored_alone(drive, [], [])  # its folder is downloaded while it is staged
    assert not accept.stored_alone(drive, [small], [])  # documents given: the link is not read
    assert accept.stored_alone(plain, [small, large], [])
    assert not accept.stored_alone(plain, [small], [])
