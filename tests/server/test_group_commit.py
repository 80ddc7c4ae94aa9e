"""Group commit: new runs' workflows that arrive together are inserted in one transaction; a
refused insert fails only its own request, a failed transaction only the requests in it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from casebook.config import Settings
from casebook.engine import Engine, NewAttempt, database_url
from casebook.errors import EngineError, EngineUnavailable
from casebook.runs.idempotency import idempotent_run_id
from casebook.server.group_commit import GroupCommit
from casebook.storage import company_slug
from tests.server.api import AUTH, MD, Api, files_json, running_api
from tests.server.stall_proxy import StallProxy


def refuse(settings: Settings, run_id: str) -> sqlite3.Connection:
    """The workflow database refuses to insert this workflow (until the trigger is dropped)."""
    db = sqlite3.connect(database_url(settings).removeprefix("sqlite:///"), isolation_level=None)
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON workflow_status "
        f"WHEN NEW.workflow_uuid = '{run_id}' BEGIN SELECT RAISE(ABORT, 'refused by a test'); END"
    )
    return db


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with Engine(Settings(storage_url=str(tmp_path / "outputs"), database_timeout_s=0.2)) as opened:
        yield opened


def new(run_id: str) -> NewAttempt:
    return NewAttempt("group-co", run_id, run_id)


def test_inserts_that_arrive_together_share_one_transaction_and_a_refusal_fails_alone(engine: Engine) -> None:
    refuse(engine.settings, "run-07").close()
    writer = GroupCommit(engine, timeout_s=30)

    async def main() -> list[BaseException | None]:
        results = await asyncio.gather(*(writer.insert(new(f"run-{i:02d}")) for i in range(20)), return_exceptions=True)
        await writer.close()
        return results

    results = asyncio.run(main())
    assert writer.batches == 1
    refused = results.pop(7)
    assert isinstance(refused, EngineError) and "refused this attempt" in str(refused)
    assert results == [None] * 19
    assert [engine.has_attempt(f"run-{i:02d}") for i in range(20)] == [i != 7 for i in range(20)]


def test_a_failed_transaction_fails_its_requests_and_the_next_one_goes_through(engine: Engine) -> None:
    writer = GroupCommit(engine, timeout_s=30)
    holder = sqlite3.connect(database_url(engine.settings).removeprefix("sqlite:///"), isolation_level=None)

    async def main() -> tuple[list[BaseException | None], None]:
        holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database past the timeout
        try:
            locked = await asyncio.gather(writer.insert(new("locked-a")), writer.insert(new("locked-b")),
                                          return_exceptions=True)
        finally:
            holder.execute("ROLLBACK")
        after = await writer.insert(new("after"))
        await writer.close()
        return locked, after

    locked, after = asyncio.run(main())
    holder.close()
    assert all(isinstance(r, EngineUnavailable) for r in locked), locked
    assert after is None and engine.has_attempt("after")
    assert not engine.has_attempt("locked-a") and not engine.has_attempt("locked-b")


def test_a_request_that_stops_waiting_leaves_the_others_and_its_run_is_queued(engine: Engine) -> None:
    writer = GroupCommit(engine, timeout_s=30)

    async def main() -> list[BaseException | None]:
        tasks = [asyncio.create_task(writer.insert(new(f"w-{i}"))) for i in range(3)]
        await asyncio.sleep(0)  # each has handed its insert over
        tasks[1].cancel()  # its client went away
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await writer.close()
        return results

    results = asyncio.run(main())
    assert results[0] is None and results[2] is None and isinstance(results[1], asyncio.CancelledError)
    assert all(engine.has_attempt(f"w-{i}") for i in range(3))  # a 503 named it; it is queued all the same


def test_close_writes_what_waits_then_refuses_more(engine: Engine) -> None:
    writer = GroupCommit(engine, timeout_s=30)

    async def main() -> None:
        pending = [asyncio.create_task(writer.insert(new(f"c-{i}"))) for i in range(4)]
        await asyncio.sleep(0)
        await writer.close()
        assert all(t.done() and t.exception() is None for t in pending)
        with pytest.raises(RuntimeError, match="stopping"):
            await writer.insert(new("late"))

    asyncio.run(main())
    assert all(engine.has_attempt(f"c-{i}") for i in range(4)) and not engine.has_attempt("late")


def test_a_transaction_that_hangs_is_abandoned_and_the_writer_goes_on(tmp_path: Path, pg_database: str) -> None:
    real = urlsplit(pg_database)  # a fresh database on the tests' PostgreSQL, behind a proxy that can hang
    with StallProxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
        url = urlunsplit(real._replace(netloc=f"{real.username}@127.0.0.1:{proxy.port}"))
        settings = Settings(storage_url=str(tmp_path / "outputs"), database_url=url, database_timeout_s=0.5)
        with Engine(settings) as engine:
            writer = GroupCommit(engine, timeout_s=0.5)

            async def main() -> list[BaseException | None]:
                results: list[BaseException | None] = [await writer.insert(new("before"))]
                proxy.stall()
                try:
                    for run_id in ("hung-1", "hung-2"):  # each answered by its own timeout, one after the other
                        try:
                            results.append(await asyncio.wait_for(writer.insert(new(run_id)), 30))
                        except EngineUnavailable as exc:
                            results.append(exc)
                finally:
                    proxy.resume()
                results.append(await asyncio.wait_for(writer.insert(new("after")), 30))
                await writer.close()
                return results

            before, hung_1, hung_2, after = asyncio.run(main())
            assert before is None and after is None
            assert isinstance(hung_1, EngineUnavailable) and isinstance(hung_2, EngineUnavailable)
            assert "did not answer in time" in str(hung_1)
            assert writer.batches == 4 and engine.has_attempt("after")


# -- through the API ------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(tmp_path) as running:
        yield running


def test_a_submission_the_queue_refuses_gets_503_with_its_run_and_the_others_202(api: Api) -> None:
    refused_id = idempotent_run_id(company_slug("Refused Co"), "refused-1")
    trigger = refuse(api.settings, refused_id)

    def send(i: int) -> httpx.Response:
        name, key = ("Refused Co", "refused-1") if i == 3 else (f"Accepted {i} Co", f"accepted-{i}")
        with api.client() as c:
            return c.post("/v1/submissions", json={"company_name": name, "files": files_json(("a.md", MD))},
                          headers={**AUTH, "Idempotency-Key": key})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    refused = answers.pop(3)
    error = refused.json()["error"]
    assert refused.status_code == 503 and error["code"] == "queue_unavailable" and error["run_id"] == refused_id
    assert refused.headers["retry-after"]
    assert [a.status_code for a in answers] == [202] * 7, [a.text for a in answers]
    with api.client() as c:
        states = [c.get(a.json()["status_url"], headers=AUTH).json()["engine_status"] for a in answers]
        assert states == ["ENQUEUED"] * 7
        trigger.execute("DROP TRIGGER refuse")
        trigger.close()
        resent = c.post("/v1/submissions", json={"company_name": "Refused Co", "files": files_json(("a.md", MD))},
                        headers={**AUTH, "Idempotency-Key": "refused-1"})
        status = c.get(f"/v1/runs/{refused_id}", headers=AUTH).json()
    assert resent.status_code == 202 and resent.json()["run_id"] == refused_id
    assert "idempotent-replayed" not in resent.headers  # it was never queued before
    assert status["engine_status"] == "ENQUEUED"
