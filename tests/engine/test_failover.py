"""Failover: a worker killed mid-run is taken for dead once silent for CASEBOOK_EXECUTOR_TIMEOUT_S,
and a live worker finishes its run from the checkpoints, with no manual step (PostgreSQL)."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from casebook.engine import Engine
from casebook.testing.openai_server import FakeOpenAIServer
from tests.engine.procs import Held, Proc, calls, wait_for
from tests.engine.test_graceful import HELD, environment, part_b_half_done, settings_of, submit
from tests.factories import write_docs


def test_a_live_worker_takes_over_the_run_of_a_killed_one(tmp_path: Path, pg_database: str) -> None:
    storage, docs, held = tmp_path / "outputs", write_docs(tmp_path / "docs"), Held(*HELD)
    with FakeOpenAIServer(held) as server:
        env = environment(storage, server.base_url, pg_database, CASEBOOK_EXECUTOR_TIMEOUT_S="2")
        workers = {name: Proc(env, "worker", "--executor-id", name) for name in ("w1", "w2")}
        try:
            run_id = submit(env, docs)
            wait_for(lambda: part_b_half_done(storage, server), 120, "two sections done, two in flight")
            with Engine(settings_of(env)) as eng:
                victim = eng.view(run_id).executor_id
                assert victim in workers
                survivor = next(name for name in workers if name != victim)
                workers[victim].signal(signal.SIGKILL)
                workers[victim].finish()
                before = calls(server)
                held.release()
                view = wait_for(
                    lambda: (v := eng.view(run_id)).engine_status == "SUCCESS" and v, 180, "the live worker to finish"
                )
                dead = eng.executors.info(victim)
        finally:
            for proc in workers.values():
                proc.signal(signal.SIGTERM) if proc.alive() else None
                proc.finish()
        after = calls(server) - before

    assert view.manifest.workflow_ids == [run_id]  # the same attempt, from its checkpoints
    assert view.executor_id == survivor and view.engine_status == "SUCCESS"
    assert dead is not None and dead.taken_over_by == survivor and not dead.alive
    assert after == Counter({"part_b:3": 1, "part_b:4": 1, "consolidate": 1, "style": 1})
