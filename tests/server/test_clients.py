"""The client examples (Python with httpx, Node with fetch) against a running `casebook serve
--with-worker` and a loopback OpenAI-compatible fake: submit files, follow progress, get the report."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from casebook.server.testing import ServerProcess
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.runs.test_gate import careless
from tests.server.process import KEY, server_env

CLIENTS = Path(__file__).resolve().parents[2] / "clients"


def load_python_client() -> ModuleType:
    spec = importlib.util.spec_from_file_location("casebook_client", CLIENTS / "python" / "casebook_client.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def endpoint(request: dict[str, Any]) -> Any:
    """Grounded answers, except for the company whose report must wait for review."""
    if "Company: Review Client Co" in json.dumps(request["messages"]):
        return careless(request)
    return schema_answer(request)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("clients")
    docs = write_docs(root / "docs")
    with FakeOpenAIServer(endpoint) as llm, ServerProcess(server_env(root, llm.base_url), "--with-worker") as server:
        yield {"url": server.base_url, "docs": docs, "root": root}


def test_python_client_follows_events_and_downloads_the_report(served: dict[str, Any]) -> None:
    client_module = load_python_client()
    seen: list[str] = []
    with client_module.CasebookClient(served["url"], KEY) as client:
        run = client.submit("Python Client Co", sorted(served["docs"].iterdir()), use_cases_count=3,
                            company_info="{Company description}: Freight")
        final = client.wait(run["run_id"], on_progress=lambda r: seen.append(r["status"]))
        report = client.report(run["run_id"])
        others = {fmt: client.report(run["run_id"], fmt) for fmt in final["formats"]}
        with pytest.raises(client_module.CasebookError) as unknown:
            client.status("no-such-run")
    assert final["status"] == "succeeded" and "running" in seen
    assert report.startswith(b"#") and b"## Sources" in report
    assert "md" in others and all(others.values())  # every listed format downloads
    assert unknown.value.status == 404 and unknown.value.code == "run_not_found"


def test_python_client_approves_a_run_that_needs_review(served: dict[str, Any]) -> None:
    client_module = load_python_client()
    with client_module.CasebookClient(served["url"], KEY) as client:
        run = client.submit("Review Client Co", sorted(served["docs"].iterdir()), use_cases_count=2)
        held = client.wait(run["run_id"])
        draft = client.report(run["run_id"])
        accepted = client.approve(run["run_id"])
        final = client.wait(run["run_id"])
    assert held["status"] == "needs_review" and held["gate"]["kind"] == "quality"
    assert b"## Sources" in draft  # readable while it waits
    assert accepted["run_id"] == run["run_id"]
    # approval releases the report as it was held: it writes nothing new
    assert final["status"] == "succeeded" and final["citations"] == held["citations"]


def test_python_client_reviews_edits_and_approves_use_cases(served: dict[str, Any]) -> None:
    client_module = load_python_client()
    with client_module.CasebookClient(served["url"], KEY) as client:
        run = client.submit("Use Case Client Co", sorted(served["docs"].iterdir()), use_cases_count=2,
                            review_use_cases=True)
        held = client.wait(run["run_id"])
        listed = client.use_cases(run["run_id"])
        with pytest.raises(client_module.CasebookError) as bad:
            client.save_use_cases(run["run_id"], [{**listed[0], "horizon": "someday"}])
        saved = client.save_use_cases(run["run_id"], listed[::-1], approve=True)
        final = client.wait(run["run_id"])
    assert held["status"] == "awaiting_review" and held["gate"]["kind"] == "use_cases"
    assert bad.value.status == 422 and "use_cases[0].horizon" in str(bad.value)
    assert [u["title"] for u in saved["use_cases"]] == [u["title"] for u in listed[::-1]]
    assert final["status"] == "succeeded"


def test_python_client_command_line_with_polling(served: dict[str, Any], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOOK_API_KEY", KEY)
    out = tmp_path / "report.md"
    code = load_python_client().main(["--url", served["url"], "--company", "Poll Co", "--docs",
                                      str(served["docs"]), "--use-cases", "3", "--out", str(out), "--poll"])
    assert code == 0 and "## Sources" in out.read_text()
    monkeypatch.setenv("CASEBOOK_API_KEY", "wrong-key-0123456789abcdef")
    assert load_python_client().main(["--url", served["url"], "--company", "X", "--docs", str(served["docs"])]) == 1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_client_follows_events_and_downloads_the_report(served: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    script = str(CLIENTS / "js" / "casebook-client.mjs")
    env = {**os.environ, "CASEBOOK_API_KEY": KEY}
    done = subprocess.run(["node", script, "--url", served["url"], "--company", "Node Client Co", "--docs",
                           str(served["docs"]), "--use-cases", "3", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "accepted (confirmation CB-" in done.stderr and "running" in done.stderr
    assert "## Sources" in out.read_text()
    denied = subprocess.run(["node", script, "--url", served["url"], "--company", "X", "--docs", str(served["docs"])],
                            env={**env, "CASEBOOK_API_KEY": "wrong-key-0123456789abcdef"},
                            capture_output=True, text=True, timeout=60)
    assert denied.returncode == 1 and "403 forbidden" in denied.stderr
