"""A resume owns its run: `casebook resume` of a run whose process was killed executes it in the
resuming process, never in another casebook process on the same database (here a `casebook run`
of another company, alive all along), and finishes on the first try."""

from __future__ import annotations

import json
import signal
import socket
from collections import Counter
from pathlib import Path

from casebook.engine import Engine
from casebook.testing.openai_server import FakeOpenAIServer
from tests.engine.procs import Held, Proc, calls, wait_for
from tests.engine.test_graceful import BEFORE_PART_B_ENDS, HELD, environment, settings_of
from tests.engine.test_graceful import database as database
from tests.factories import write_docs


def manifests(storage: Path) -> dict[str, dict]:
    """By company name."""
    found = (json.loads(p.read_text()) for p in storage.glob("*/runs/*.json"))
    return {m["company_name"]: m for m in found}


def half_done(storage: Path, llm: FakeOpenAIServer, proc: Proc) -> bool:
    if not proc.alive():
        raise AssertionError(f"process ended early: {proc.finish()}")
    sections = list(storage.glob("northwind-logistics-*/runs/*/part_b/*.md"))
    part_a = list(storage.glob("northwind-logistics-*/part_a/*.md"))  # done too, not in flight beside Part B
    return len(sections) == 2 and len(part_a) == 1 and sum(calls(llm)[k] for k in HELD) == 2


def test_a_resume_runs_here_while_another_casebook_process_is_alive(tmp_path: Path, database: str | None) -> None:
    storage, docs = tmp_path / "outputs", write_docs(tmp_path / "docs")
    other_held, held = Held("evidence"), Held(*HELD)
    with FakeOpenAIServer(other_held) as other_llm, FakeOpenAIServer(held) as llm:
        other_env = environment(storage, other_llm.base_url, database)
        other = Proc(other_env, "run", "Other Co", "--docs", str(docs), "--use-cases", "2")
        env = environment(storage, llm.base_url, database)
        try:
            wait_for(lambda: calls(other_llm)["evidence"] >= 1, 300, "the other run to be in its evidence step")
            killed = Proc(env, "run", "Northwind Logistics", "--docs", str(docs), "--use-cases", "4")
            try:
                wait_for(lambda: half_done(storage, llm, killed), 300, "two sections done, two in flight")
                killed.signal(signal.SIGKILL)
            finally:
                killed.stop()
            held.release()
            run_id = manifests(storage)["Northwind Logistics"]["run_id"]
            before = calls(llm)
            resume = Proc(env, "resume", run_id, "--json")
            rc, out, err = resume.finish(timeout=600)
            other_alive = other.alive()
            with Engine(settings_of(env)) as eng:
                view = eng.view(run_id)
            other_calls_while_resumed = calls(other_llm)
            other_held.release()
            other_rc, _, other_err = other.finish(timeout=600)
        finally:
            other.stop()
        after = calls(llm) - before

    assert rc == 0, err
    assert "resuming run" in err and "its process" in err and "is gone" in err
    resumed = json.loads(out)
    assert resumed["status"] == "succeeded" and resumed["workflow_ids"] == [run_id, f"{run_id}.2"]
    # The attempt ran in the resuming process, and only there.
    assert view.executor_id is not None
    assert view.executor_id.startswith(f"cli-{socket.gethostname()}-{resume.pid}-"), view.executor_id
    assert before == BEFORE_PART_B_ENDS
    assert after == Counter({"part_b:3": 1, "part_b:4": 1, "consolidate": 1, "style": 1})
    # The other process stayed in its own run: alive, its model asked for nothing of the resumed run.
    assert other_alive and other_calls_while_resumed == Counter({"evidence": 1})
    assert other_rc == 0, other_err
    assert manifests(storage)["Other Co"]["status"] == "succeeded"
