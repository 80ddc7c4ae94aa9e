"""`Engine.insert_attempts`: many workflows in one transaction, each insert in a savepoint of its
own, so one the database refuses fails alone (SQLite and PostgreSQL, a real refusal: a trigger)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from dbos import DBOSClient

from casebook.config import Settings
from casebook.engine import QUEUE, SERIALIZER, Engine, NewAttempt, database_url
from casebook.errors import EngineError, EngineUnavailable

REFUSED = "refused-run"


def refuse_in_sqlite(url: str) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON workflow_status "
            f"WHEN NEW.workflow_uuid = '{REFUSED}' BEGIN SELECT RAISE(ABORT, 'refused by a test'); END"
        )


def refuse_in_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "CREATE FUNCTION dbos.refuse() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused by a test'; END $$ LANGUAGE plpgsql"
        )
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON dbos.workflow_status FOR EACH ROW "
            f"WHEN (NEW.workflow_uuid = '{REFUSED}') EXECUTE FUNCTION dbos.refuse()"
        )


def attempts(*run_ids: str) -> list[NewAttempt]:
    return [NewAttempt("batch-co", run_id, run_id) for run_id in run_ids]


def check_one_refusal_fails_alone(settings: Settings) -> None:
    with Engine(settings) as engine:
        assert engine.insert_attempts(attempts("first-a", "first-b")) == [None, None]
        (refuse_in_sqlite if database_url(settings).startswith("sqlite") else refuse_in_postgres)(
            database_url(settings)
        )
        outcomes = engine.insert_attempts(attempts("before", REFUSED, "after"))
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], EngineError) and not isinstance(outcomes[1], EngineUnavailable)
        assert "refused this attempt" in str(outcomes[1])
        held = {w: engine.has_attempt(w) for w in ("first-a", "first-b", "before", REFUSED, "after")}
        assert held == {"first-a": True, "first-b": True, "before": True, REFUSED: False, "after": True}
        # an attempt inserted again is no error and no second row (a resend's insert)
        assert engine.insert_attempts(attempts("before")) == [None]
    client = DBOSClient(system_database_url=database_url(settings), serializer=SERIALIZER)
    try:
        queued = client.list_workflows(queue_name=QUEUE, status="ENQUEUED", load_input=True, load_output=False)
    finally:
        client.destroy()
    assert sorted(s.workflow_id for s in queued) == ["after", "before", "first-a", "first-b"]
    assert all(s.input is not None and tuple(s.input["args"]) == ("batch-co", s.workflow_id) for s in queued)


def test_one_refused_insert_fails_alone_on_sqlite(tmp_path: Path) -> None:
    check_one_refusal_fails_alone(Settings(storage_url=str(tmp_path / "outputs")))


def test_one_refused_insert_fails_alone_on_postgres(tmp_path: Path, pg_database: str) -> None:
    check_one_refusal_fails_alone(Settings(storage_url=str(tmp_path / "outputs"), database_url=pg_database))


def test_a_transaction_that_cannot_start_fails_the_whole_batch(tmp_path: Path) -> None:
    settings = Settings(storage_url=str(tmp_path / "outputs"), database_timeout_s=0.2)
    with Engine(settings) as engine:
        holder = sqlite3.connect(database_url(settings).removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database past the timeout
        try:
            with pytest.raises(EngineUnavailable):
                engine.insert_attempts(attempts("locked-a", "locked-b"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert not engine.has_attempt("locked-a") and not engine.has_attempt("locked-b")
        assert engine.insert_attempts(attempts("locked-a")) == [None]  # the next batch goes through
