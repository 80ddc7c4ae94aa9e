"""What the workflow engine stores is JSON, never pickle: inputs, step results, events, outcomes
and errors (`casebook.checkpoints`), and errors come back as casebook's own classes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOSClient, EnqueueOptions
from dbos import error as dbos_errors

from casebook import checkpoints, engine
from casebook.errors import BudgetExceeded, LLMError, RecordedError, StorageError
from casebook.models import RunStatus, Submission
from casebook.runs.runner import create_run
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer, FakeResponse
from tests.engine.procs import wait_for
from tests.factories import settings_for, sources, write_docs
from tests.prompt_steps import call_key

# Where DBOS keeps program data: (table, column), and the table whose `serialization` says how.
DATA = {
    ("workflow_input", "inputs"): "workflow_status",
    ("workflow_output", "output"): "workflow_status",
    ("workflow_output", "error"): "workflow_status",
    ("operation_outputs", "output"): "operation_outputs",
    ("operation_outputs", "error"): "operation_outputs",
    ("workflow_events", "value"): "workflow_events",
    ("workflow_events_history", "value"): "workflow_events_history",
}


def stored(db: sqlite3.Connection) -> list[tuple[str, str, str | None, str]]:
    """(table, column, serialization, value) of every stored value."""
    rows = []
    for (table, column), described in DATA.items():
        joined = "" if described == table else f" JOIN {described} s USING (workflow_uuid)"
        how = "s.serialization" if joined else "t.serialization"
        query = f'SELECT t."{column}", {how} FROM {table} t{joined} WHERE t."{column}" IS NOT NULL'
        rows += [(table, column, serialization, value) for value, serialization in db.execute(query)]
    return rows


def pickled(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every text value in the database that is a base64 pickle (DBOS's default encoding)."""
    found = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        for row in db.execute(f"SELECT * FROM {table}"):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, str) and len(value) >= 4:
                    try:
                        raw = base64.b64decode(value, validate=True)
                    except (binascii.Error, ValueError):
                        continue
                    if raw[:1] == b"\x80":
                        found.append((table, column))
    return found


def test_the_engine_stores_json_not_pickle(tmp_path: Path) -> None:
    """One run that succeeds, one whose step fails for good: every value in the system database
    is casebook's JSON, the inputs are the company slug and the run id."""
    docs = write_docs(tmp_path / "docs")

    def handler(request: dict[str, Any]) -> Any:
        if call_key(request) == "use_cases" and "Failing" in json.dumps(request):
            return FakeResponse(status=401)
        return schema_answer(request)

    with FakeOpenAIServer(handler) as server:
        settings = settings_for(tmp_path, server.base_url, step_retry_interval_s=0.1)
        runs = [
            create_run(settings, Submission.parse({"company_name": name, "use_cases_count": 2}), sources(docs))
            for name in ("Northwind Logistics", "Failing Co")
        ]
        with engine.launched(settings, executor_id="test-executor", take_queued_work=False):
            finals = [asyncio.run(engine.run_here(settings, m)) for m in runs]
        with engine.Engine(settings) as eng:
            listed = {v.manifest.run_id: v for v in eng.list_runs()}
    assert [f.status for f in finals] == [RunStatus.succeeded, RunStatus.failed]
    assert "OPENAI_API_KEY" in (listed[runs[1].run_id].manifest.error or "")  # read back from JSON
    with sqlite3.connect(engine.database_url(settings).removeprefix("sqlite:///")) as db:
        rows, pickles = stored(db), pickled(db)
    assert pickles == []
    with sqlite3.connect(":memory:") as scratch:  # the check finds DBOS's default encoding
        scratch.execute("CREATE TABLE t (v TEXT)")
        scratch.execute("INSERT INTO t VALUES (?)", (base64.b64encode(pickle.dumps({"args": ("a", "b")})).decode(),))
        assert pickled(scratch) == [("t", "v")]
    assert {(table, column) for table, column, _, _ in rows} >= {
        ("workflow_input", "inputs"),
        ("workflow_output", "output"),
        ("operation_outputs", "output"),
        ("workflow_events", "value"),
    }
    assert {serialization for _, _, serialization, _ in rows} == {"casebook_json"}
    values = [json.loads(value) for _, _, _, value in rows]  # every one parses as JSON
    inputs = [v for (table, column, _, _), v in zip(rows, values, strict=True) if column == "inputs"]
    assert sorted(i["args"][1] for i in inputs) == sorted(m.run_id for m in runs)
    assert all(i["args"][0] in {m.company_slug for m in runs} and i["kwargs"] == {} for i in inputs)


def test_errors_come_back_as_casebooks_classes() -> None:
    class Own(LLMError):  # a class of a module's own, like the LLM client's
        pass

    own = Own("the endpoint refused after 3 attempts")
    own.transient, own.attempts = True, 3
    back = checkpoints.loads(checkpoints.dumps(own))
    assert type(back) is LLMError and str(back) == str(own) and (back.transient, back.attempts) == (True, 3)
    budget = checkpoints.loads(checkpoints.dumps(BudgetExceeded("over", spent_usd=1.5, budget_usd=1.0)))
    assert isinstance(budget, BudgetExceeded) and (budget.spent_usd, budget.budget_usd) == (1.5, 1.0)
    assert isinstance(checkpoints.loads(checkpoints.dumps(StorageError("disk full"))), StorageError)
    foreign = checkpoints.loads(checkpoints.dumps(KeyError("x")))
    assert isinstance(foreign, RecordedError) and str(foreign) == "KeyError: 'x'"
    # a stored name is looked up among casebook's errors only, never imported
    assert isinstance(checkpoints.error_from({"type": "os.system", "classes": ["os.system"]}), RecordedError)
    with pytest.raises(TypeError):
        checkpoints.dumps({"when": object()})  # nothing that is not JSON is stored by a guess


def test_a_step_that_ran_out_of_retries_is_recorded_as_its_cause() -> None:
    tries = []
    for attempts in (2, 3):
        exc = LLMError(f"the endpoint answered 503 after {attempts} attempts")
        exc.transient, exc.attempts = True, attempts
        tries.append(exc)
    exhausted = dbos_errors.DBOSMaxStepRetriesExceeded("casebook.use_cases", 2, tries)
    back = engine.SERIALIZER.deserialize(engine.SERIALIZER.serialize(exhausted))
    assert isinstance(back, LLMError) and back.attempts == 5 and back.transient


def test_a_run_queued_by_an_earlier_casebook_with_pickle_still_runs(tmp_path: Path) -> None:
    """Attempts stored before the JSON serializer (DBOS's pickle; their rows say so) are read and
    run after the upgrade: the queue need not be drained for it."""
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        manifest = create_run(settings, Submission.parse({"company_name": "Old Co", "use_cases_count": 2}),
                              sources(docs), record_workflow=True)
        engine.prepare_database(settings)
        old = DBOSClient(system_database_url=engine.database_url(settings))  # DBOS's default: pickle
        try:
            options: EnqueueOptions = {"workflow_name": engine.WORKFLOW, "queue_name": engine.QUEUE,
                                       "workflow_id": manifest.run_id, "app_version": engine.APP_VERSION}
            old.enqueue(options, manifest.company_slug, manifest.run_id)
        finally:
            old.destroy()
        with engine.Engine(settings) as eng:
            assert [(a.run_id, a.latest.state) for a in eng.recent(10)] == [(manifest.run_id, "queued")]
        with engine.launched(settings, executor_id="worker-upgraded", take_queued_work=True), \
                engine.Engine(settings) as eng:
            view = wait_for(lambda: not (v := eng.view(manifest.run_id)).live and v.status.finished and v, 300,
                            "the old run's attempt to end")
    assert view.status is RunStatus.succeeded and view.engine_status == "SUCCESS"
    with sqlite3.connect(engine.database_url(settings).removeprefix("sqlite:///")) as db:
        # DBOS keeps an attempt's own encoding for its input and result; nothing else is pickled
        assert sorted(pickled(db)) == [("workflow_input", "inputs"), ("workflow_output", "output")]
