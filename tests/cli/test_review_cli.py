"""`casebook run --review-use-cases` stops awaiting review (exit 4); `casebook review` prints the
use cases, saves edits from a file (a bad one refused in one line naming the field), and
`--approve` goes on here with them; `casebook submit --review-use-cases` records the request."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from casebook.cli import app
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.prompt_steps import call_key


def invoke(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_run_stops_for_review_and_review_edits_and_approves(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer() as server:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test", "CASEBOOK_REPORT_FORMATS": "",
               "CASEBOOK_STORAGE_URL": str(tmp_path / "outputs"), "CASEBOOK_DELIVER_FOLDER": str(tmp_path / "rep")}
        code, out, err = invoke("run", "Acme", "--docs", str(docs), "--use-cases", "2", "--review-use-cases",
                                "--json", env=env)
        assert code == 4, err
        held = json.loads(out)
        run_id = held["run_id"]
        assert held["status"] == "awaiting_review" and held["gates"]["use_cases"]["approved_at"] is None

        code, out, err = invoke("status", run_id, env=env)
        assert code == 0 and "awaiting_review" in out and f"casebook review {run_id}" in out

        code, out, err = invoke("review", run_id, env=env)
        assert code == 0, err
        assert out.startswith("1. ") and "\n2. " in out and "impact" in out and "--approve" in err

        code, out, _ = invoke("review", run_id, "--json", env=env)
        listed = json.loads(out)
        assert listed["editable"] is True and len(listed["use_cases"]) == 2
        first, second = listed["use_cases"]

        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"use_cases": [{**first, "effort": 7}]}))
        code, _, err = invoke("review", run_id, "--file", str(bad), env=env)
        assert code == 1 and "use_cases[0].effort" in err and len(err.strip().splitlines()) == 1
        code, _, err = invoke("review", run_id, "--file", str(tmp_path / "missing.json"), env=env)
        assert code == 1 and "cannot read --file" in err

        edited = tmp_path / "edited.json"
        edited.write_text(json.dumps([second, {**first, "title": "Returns forecasting by depot"}]))  # a bare list
        code, _, err = invoke("review", run_id, "--file", str(edited), env=env)
        assert code == 0 and "saved 2 use cases" in err
        code, out, _ = invoke("review", run_id, env=env)
        assert out.index(f"1. {second['title']}") < out.index("2. Returns forecasting by depot")

        start = len(server.requests)
        code, out, err = invoke("review", run_id, "--approve", env=env)
        assert code == 0, err
        report = Path(out.strip().splitlines()[-1])
        keys = [call_key(r) for r in server.requests[start:]]
        assert "use_cases" not in keys and sorted(k for k in keys if k.startswith("part_b")) == ["part_b:1", "part_b:2"]
        text = report.read_text()
        assert f"### 1. {second['title']}" in text and "### 2. Returns forecasting by depot" in text

        code, _, err = invoke("review", run_id, "--file", str(edited), env=env)
        assert code == 1 and "not awaiting review" in err
        code, _, err = invoke("review", run_id, "--approve", env=env)
        assert code == 1 and "not waiting for review" in err

        code, out, err = invoke("submit", "Beta", "--docs", str(docs), "--review-use-cases", "--json", env=env)
        assert code == 0, err
        queued = json.loads(out)
        stored = tmp_path / "outputs" / queued["company_slug"] / "runs" / f"{queued['run_id']}.json"
        manifest = json.loads(stored.read_text())
        assert manifest["submission"]["review_use_cases"] is True
