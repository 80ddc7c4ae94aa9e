"""The use-case review gate: a run with `review_use_cases` waits after its use cases
(awaiting_review); the reviewer's edits (change, reorder, drop, add) are checked, kept, and used by
Part B and everything after, once approved; nothing before them is generated again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from casebook.errors import InputError, RunError
from casebook.models import RunStatus, Submission, UseCase
from casebook.runs.manifest import Manifest
from casebook.runs.review import current_use_cases, save_edits, use_case_key
from casebook.runs.runner import approve_run, create_run, execute
from casebook.storage import Storage
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import settings_for, sources, write_docs
from tests.prompt_steps import call_key

SUBMISSION = {"company_name": "Northwind Logistics", "use_cases_count": 3, "review_use_cases": True}


def calls(server: FakeOpenAIServer, start: int = 0) -> list[str]:
    return [call_key(r) for r in server.requests[start:]]


def user_prompt(request: dict[str, Any]) -> str:
    return str(request["messages"][-1]["content"])


def edited_list(original: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Third first, first changed, second dropped, one added."""
    first, _second, third = original
    changed = {**first, "title": "Depot slotting with the WMS data", "effort": 2}
    added = {
        **third,
        "title": "Claims triage assistant",
        "problem": "Damage claims take 25 minutes each to handle.",
        "kpis": ["minutes per claim"],
    }
    return [third, changed, added]


def test_a_run_waits_for_review_and_goes_on_with_the_edited_use_cases(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        created = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
        held = asyncio.run(execute(settings, created.company_slug, created.run_id))
        before_gate = calls(server)

        assert held.status is RunStatus.awaiting_review and held.error is None
        assert held.gate is not None and held.gate.kind == "use_cases" and held.gate.step == "use_cases"
        assert "review the 3 use cases" in held.gate.reason
        assert held.steps["use_cases"].state == "waiting"
        assert all(held.steps[s].state == "pending" for s in ("part_a", "part_b", "consolidate", "deliver"))
        assert before_gate == ["evidence", "use_cases"]  # nothing written around the use cases yet
        company = Storage(settings.storage_url).company_by_slug(held.company_slug)
        run = held.run_id
        original, _ = current_use_cases(company, held)
        assert len(original) == 3

        wanted = edited_list([u.model_dump(mode="json") for u in original])
        saved = save_edits(company, run, wanted, by="test")
        assert [u.title for u in saved] == [w["title"] for w in wanted]
        shown, record = current_use_cases(company, Manifest.load(company, run))
        assert [u.title for u in shown] == [w["title"] for w in wanted] and record["edited_by"] == "test"
        assert not company.exists(f"runs/{run}/part_b/report_enhanced_{run}.md")

        approved = approve_run(settings, run, by="cli")
        assert approved.gates["use_cases"].approved_by == "cli"
        start = len(server.requests)
        done = asyncio.run(execute(settings, held.company_slug, run))
        after = server.requests[start:]

    assert done.status is RunStatus.succeeded, done.error
    keys = calls(server, start)
    assert "evidence" not in keys and "use_cases" not in keys  # nothing before the gate again
    assert sorted(k for k in keys if k.startswith("part_b")) == ["part_b:1", "part_b:2", "part_b:3"]
    part_b = {call_key(r): user_prompt(r) for r in after if call_key(r).startswith("part_b")}
    assert original[2].title in part_b["part_b:1"]  # the reorder: the third is now first
    assert "Depot slotting with the WMS data" in part_b["part_b:2"]
    assert "Claims triage assistant" in part_b["part_b:3"]
    part_a = next(user_prompt(r) for r in after if call_key(r) == "part_a")
    assert "Claims triage assistant" in part_a and original[1].title not in part_a  # the drop
    report = company.read_text(f"final/FINAL_REPORT_{run}.md")
    assert "Claims triage assistant" in report and "Depot slotting with the WMS data" in report
    assert f"### 1. {original[2].title}" in report and original[1].title not in report
    assert done.metrics["use_cases_count"] == 3
    generated = company.read_json(f"runs/{run}/use_cases.generated.json")
    assert [u["title"] for u in generated] == [u.title for u in original]  # the model's list, kept
    assert [u["title"] for u in company.read_json(f"runs/{run}/use_cases.json")] == [w["title"] for w in wanted]
    with pytest.raises(RunError, match="not awaiting review"):
        save_edits(company, run, wanted, by="test")


def test_edits_are_checked_field_by_field_and_nothing_is_kept_from_a_bad_one(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        created = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
        held = asyncio.run(execute(settings, created.company_slug, created.run_id))
    company = Storage(settings.storage_url).company_by_slug(held.company_slug)
    original = [u.model_dump(mode="json") for u in current_use_cases(company, held)[0]]
    bad = [
        {**original[0], "title": "x"},
        {**original[1], "citations": ["S999"]},
        {**original[2], "impact": 9, "owner": "Ann"},
    ]
    with pytest.raises(InputError) as caught:
        save_edits(company, held.run_id, bad, by="test")
    fields = caught.value.fields
    assert set(fields) == {"use_cases[0].title", "use_cases[1].citations[0]", "use_cases[2].impact",
                           "use_cases[2].owner"}
    assert "at least 3 characters" in fields["use_cases[0].title"]
    assert "'S999' is not a passage of this run" in fields["use_cases[1].citations[0]"]
    assert "use_cases[0].title" in str(caught.value)
    with pytest.raises(InputError, match="1 to 20"):
        save_edits(company, held.run_id, [], by="test")
    with pytest.raises(InputError, match="must be a list"):
        save_edits(company, held.run_id, {"title": "x"}, by="test")
    assert not company.exists(f"runs/{held.run_id}/use_cases.review.json")  # nothing half-written


def test_approved_without_edits_the_run_writes_the_generated_use_cases(tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url)
        created = create_run(settings, Submission.parse(SUBMISSION), sources(write_docs(tmp_path / "docs")))
        held = asyncio.run(execute(settings, created.company_slug, created.run_id))
        approve_run(settings, held.run_id, by="cli")
        done = asyncio.run(execute(settings, held.company_slug, held.run_id))
        keys = calls(server)
    assert done.status is RunStatus.succeeded, done.error
    assert keys.count("use_cases") == 1 and keys.count("evidence") == 1
    company = Storage(settings.storage_url).company_by_slug(held.company_slug)
    assert not company.exists(f"runs/{held.run_id}/use_cases.generated.json")


def test_part_b_sections_are_kept_by_use_case_so_a_reorder_writes_none_again(tmp_path: Path) -> None:
    """Sections are stored under a hash of their use case: after a reorder (and a drop) the same
    texts are reused, headed with their new numbers, and only a new use case is written."""
    with FakeOpenAIServer() as server:
        settings = settings_for(tmp_path, server.base_url, min_supported=0)
        sub = {**SUBMISSION, "review_use_cases": False}
        created = create_run(settings, Submission.parse(sub), sources(write_docs(tmp_path / "docs")))
        first = asyncio.run(execute(settings, created.company_slug, created.run_id))
        company = Storage(settings.storage_url).company_by_slug(first.company_slug)
        run = first.run_id
        listed = company.read_json(f"runs/{run}/use_cases.json")
        keys = {use_case_key(UseCase.model_validate(u)) for u in listed}
        assert keys == {n.removesuffix(".md") for n in company.list(f"runs/{run}/part_b")}
        # the reviewer's list, as an approval leaves it: reordered, one dropped, one new
        company.write_text(f"runs/{run}/use_cases.generated.json", json.dumps(listed))
        new = {**listed[0], "title": "Claims triage assistant"}
        company.write_json(f"runs/{run}/use_cases.json", [listed[2], listed[0], new])
        for path in (f"part_b/report_enhanced_{run}.md", f"runs/{run}/report.md"):
            company.fs.rm(company.path(path))
        manifest = Manifest.load(company, run)
        for step in ("part_b", "consolidate", "verify", "finalize", "review", "deliver"):
            manifest.steps[step].state = "pending"
        manifest.status = RunStatus.failed
        manifest.save(company)
        start = len(server.requests)
        again = asyncio.run(execute(settings, first.company_slug, run))
        keys_after = calls(server, start)
    assert again.status is RunStatus.succeeded, again.error
    assert [k for k in keys_after if k.startswith("part_b")] == ["part_b:3"]  # only the new one
    part_b = company.read_text(f"part_b/report_enhanced_{run}.md")
    assert part_b.index(f"### 1. {listed[2]['title']}") < part_b.index(f"### 2. {listed[0]['title']}")
    assert "### 3. Claims triage assistant" in part_b and listed[1]["title"] not in part_b
