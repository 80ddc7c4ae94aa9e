"""Idempotency keys (IETF Idempotency-Key draft): the same key with the same inputs is the same
run; the same key with other inputs is refused, naming the key, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from casebook.cli import app
from casebook.config import Settings
from casebook.errors import IdempotencyConflict
from casebook.models import SourceFile, Submission
from casebook.runs.runner import create_run
from tests.factories import sources, write_docs

SUBMISSION = {"company_name": "Northwind Logistics", "use_cases_count": 2}


def test_same_key_same_inputs_is_the_same_run_in_any_order(tmp_path: Path) -> None:
    settings = Settings(storage_url=str(tmp_path / "outputs"))
    docs = sources(write_docs(tmp_path / "docs"))
    first = create_run(settings, Submission.parse(SUBMISSION), docs, idempotency_key="form-1")
    again = create_run(settings, Submission.parse(SUBMISSION), list(reversed(docs)), idempotency_key="form-1")
    assert again.run_id == first.run_id and first.idempotency_fingerprint


@pytest.mark.parametrize(
    ("change", "part"),
    [
        ({"documents": "other"}, "documents"),
        ({"use_cases_count": 5}, "form"),
        ({"budget_usd": 2.0}, "budget_usd"),
    ],
)
def test_same_key_other_inputs_is_refused(tmp_path: Path, change: dict[str, object], part: str) -> None:
    settings = Settings(storage_url=str(tmp_path / "outputs"))
    docs = sources(write_docs(tmp_path / "docs"))
    first = create_run(settings, Submission.parse(SUBMISSION), docs, idempotency_key="form-2")
    submission, budget = dict(SUBMISSION), None
    if "documents" in change:
        docs = [*docs, SourceFile("extra.md", b"# More\n\nAnother document.\n")]
    elif "budget_usd" in change:
        budget = 2.0
    else:
        submission.update(change)
    with pytest.raises(IdempotencyConflict) as refused:
        create_run(settings, Submission.parse(submission), docs, budget_usd=budget, idempotency_key="form-2")
    message = str(refused.value)
    assert refused.value.key == "form-2" and refused.value.run_id == first.run_id
    assert "'form-2'" in message and first.run_id in message and f"{part} differ" in message
    assert [p.name for p in (tmp_path / "outputs").glob("*/runs/*.json")] == [f"{first.run_id}.json"]


def test_the_cli_refuses_a_reused_key_with_exit_1(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    runner = CliRunner()
    first = runner.invoke(app, ["submit", "Acme", "--docs", str(docs), "--idempotency-key", "k-7", "--json"])
    (docs / "new.md").write_text("# New\n\nA document added afterwards.\n")
    second = runner.invoke(app, ["submit", "Acme", "--docs", str(docs), "--idempotency-key", "k-7", "--json"])
    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 1
    assert "idempotency key 'k-7'" in second.stderr and "documents differ" in second.stderr
    assert "Traceback" not in second.stderr
