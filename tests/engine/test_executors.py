"""The heartbeat table on real databases: liveness, a clean stop, and a claim only one wins."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from casebook.executors import CLI, WORKER, Executors, sqlalchemy_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return str(request.getfixturevalue("pg_database"))


def silence(url: str, executor_id: str, seconds: float) -> None:
    """As if the executor's last heartbeat were `seconds` old (its clock, the database's)."""
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.begin() as db:
        db.execute(
            sa.text("UPDATE casebook_executors SET beat_at = beat_at - :s WHERE executor_id = :e"),
            {"s": seconds, "e": executor_id},
        )
    engine.dispose()


def test_liveness_stop_and_a_claim_only_one_claimer_wins(url: str) -> None:
    executors = Executors(url, timeout_s=30)
    executors.create_table()
    executors.create_table()  # idempotent
    executors.register("w1", WORKER)
    executors.register("cli-x", CLI)
    assert executors.info("w1").alive and executors.beat("w1")  # type: ignore[union-attr]
    assert [e.executor_id for e in executors.live_workers()] == ["w1"]
    executors.stopped("cli-x")
    assert not executors.info("cli-x").alive and executors.info("cli-x").stopped  # type: ignore[union-attr]

    assert executors.claim_dead("w2") == []  # w1 is alive
    silence(url, "w1", 60)
    assert not executors.info("w1").alive  # type: ignore[union-attr]
    won: list[list[str]] = []
    claimers = [threading.Thread(target=lambda n=n: won.append(Executors(url, 30).claim_dead(n))) for n in ("w2", "w3")]
    for t in claimers:
        t.start()
    for t in claimers:
        t.join()
    assert sorted(won) == [[], ["w1"]]  # the lease: exactly one claimer takes w1
    assert executors.claim_dead("w4") == []  # claimed already, and the claim is fresh
    assert not executors.beat("w1")  # w1 wakes up: it learns it was taken over
    executors.register("w1", WORKER)
    assert executors.info("w1").alive and executors.info("w1").taken_over_by is None  # type: ignore[union-attr]
    executors.close()
