"""A run's real status and how it goes on, from its manifest and the engine's latest attempt."""

from __future__ import annotations

import pytest

from casebook.models import RunStatus
from casebook.runs.attempts import TIMED_OUT, Latest, plan, run_status, settle
from casebook.runs.manifest import Manifest


def manifest(status: RunStatus = RunStatus.running, ids: tuple[str, ...] = ("r1",)) -> Manifest:
    return Manifest(
        run_id="r1", company_name="Co", company_slug="co", submission={}, model_set="cheap",
        status=status, workflow_ids=list(ids),
    )


@pytest.mark.parametrize(
    ("latest", "status", "error"),
    [
        (Latest("r1", "failed", error="StorageError: disk full"), RunStatus.failed, "StorageError: disk full"),
        (Latest("r1", "cancelled"), RunStatus.cancelled, "cancelled"),
        (Latest("r1", "cancelled", timed_out=True), RunStatus.failed, TIMED_OUT),
        (Latest("r1", "returned", output={"status": "failed", "error": "disk full"}), RunStatus.failed, "disk full"),
        (Latest("r1", "returned", output="budget_exceeded"), RunStatus.budget_exceeded, None),
        (Latest("r1", "running", executor_id="w1"), RunStatus.running, None),
    ],
)
def test_an_attempt_that_ended_without_its_manifest_write(latest: Latest, status: RunStatus, error: str | None) -> None:
    settled = settle(manifest(), latest)
    assert settled.status is status and settled.error == error


def test_a_lost_write_keeps_the_usage_the_attempt_returned() -> None:
    m = manifest()
    m.metrics = {"tokens": {"total_tokens": 10}, "cost_usd": 0.001}
    output = {"status": "failed", "error": "x", "tokens": {"total_tokens": 25}, "cost_usd": 0.003}
    settled = settle(m, Latest("r1", "returned", output=output))
    assert settled.metrics["tokens"] == {"total_tokens": 25} and settled.metrics["cost_usd"] == 0.003


def test_a_newer_attempt_in_the_queue_shows_the_run_queued_unless_it_succeeded() -> None:
    assert settle(manifest(RunStatus.failed), Latest("r1", "queued")).status is RunStatus.queued
    assert settle(manifest(RunStatus.succeeded), Latest("r1", "queued")).status is RunStatus.succeeded
    # the engine's record of an earlier attempt says nothing about the current one
    assert settle(manifest(ids=("r1", "r1.2")), Latest("r1", "failed")).status is RunStatus.running


def test_how_a_run_goes_on() -> None:
    assert plan(manifest(ids=()), None, True).workflow_id == "r1"
    assert plan(manifest(), Latest("r1", None), True).step == "start"
    assert plan(manifest(), Latest("r1", "queued"), True).step == "queued"
    assert plan(manifest(), Latest("r1", "running", executor_id="w1"), True).step == "running"
    gone = plan(manifest(), Latest("r1", "running", executor_id="w1"), False)
    assert (gone.step, gone.workflow_id, gone.executor_id) == ("orphaned", "r1", "w1")
    for ended in ("returned", "failed", "cancelled", "abandoned"):
        m = settle(manifest(ids=("r1", "r1.2")), Latest("r1.2", ended, output={"status": "failed"}))
        assert plan(m, Latest("r1.2", ended), True) == plan(m, Latest("r1.2", ended), False)
        assert plan(m, Latest("r1.2", ended), True).workflow_id == "r1.3"
    done = manifest(RunStatus.succeeded)
    assert plan(done, Latest("r1", "returned"), True).step == "done"


def test_the_status_from_the_engine_alone_follows_the_same_rule() -> None:
    """The metrics count runs by the engine's record alone: the status `settle` would give a
    run whose manifest still said running."""
    assert run_status(Latest("r1", "queued")) is RunStatus.queued
    assert run_status(Latest("r1", "running")) is RunStatus.running
    for latest in (
        Latest("r1", "returned", output={"status": "needs_review"}),
        Latest("r1", "returned", output="budget_exceeded"),
        Latest("r1", "failed", error="x"),
        Latest("r1", "cancelled"),
        Latest("r1", "cancelled", timed_out=True),
        Latest("r1", "abandoned"),
    ):
        assert run_status(latest) is settle(manifest(), latest).status
    assert run_status(Latest("r1", "returned", output={"status": "no such status"})) is RunStatus.failed
