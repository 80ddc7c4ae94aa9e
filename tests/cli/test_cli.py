"""The command line as a user meets it: one clear line and an exit code for every error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casebook.cli import app
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_docs(tmp_path / "docs")


def test_run_with_a_missing_docs_folder(tmp_path: Path) -> None:
    code, _, err = invoke("run", "Acme", "--docs", str(tmp_path / "nope"))
    assert code == 1
    assert "is not a folder" in err and "Traceback" not in err
    assert not (tmp_path / "outputs").exists()


def test_run_with_an_unknown_model_set(docs: Path) -> None:
    code, _, err = invoke("run", "Acme", "--docs", str(docs), "--model-set", "nope")
    assert code == 1
    assert "nope" in err and "cheap" in err and "Traceback" not in err


def test_run_with_a_bad_submission_value(docs: Path) -> None:
    code, _, err = invoke("run", "Acme", "--docs", str(docs), "--company-info", "{Overall Readiness score}: 140")
    assert code == 1
    assert "readiness_score" in err and "100" in err


def test_run_against_an_unreachable_endpoint_fails_cleanly_and_says_how_to_resume(docs: Path) -> None:
    code, _, err = invoke("run", "Acme", "--docs", str(docs), env={"CASEBOOK_LLM_MAX_RETRIES": "0",
                                                                    "CASEBOOK_STEP_MAX_ATTEMPTS": "1"})
    assert code == 1
    assert "127.0.0.1:9" in err and "casebook resume" in err
    assert "unexpected error" not in err and "Traceback" not in err


def test_run_then_runs_status_report_and_storage(docs: Path) -> None:
    with FakeOpenAIServer() as server:
        env = {"OPENAI_BASE_URL": server.base_url, "CASEBOOK_REPORT_FORMATS": ""}
        code, out, err = invoke("run", "Acme", "--docs", str(docs), "--use-cases", "2", "--json", env=env)
    assert code == 0, err
    manifest = json.loads(out)
    assert manifest["status"] == "succeeded"

    code, out, _ = invoke("runs", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [r["run_id"] for r in listed] == [manifest["run_id"]] and listed[0]["status"] == "succeeded"
    code, out, _ = invoke("runs")  # the table, 80 columns wide: the run id and the cost whole
    assert code == 0 and manifest["run_id"] in out
    assert re.search(r"\$\d+\.\d{4}", out) and re.search(r"\d\d-\d\d \d\d:\d\d", out), out

    code, out, _ = invoke("status", manifest["run_id"], "--json")
    assert code == 0 and json.loads(out)["manifest"]["metrics"]["use_cases_count"] == 2

    code, out, _ = invoke("report", "Acme")
    assert code == 0 and out.strip().endswith(f"FINAL_REPORT_{manifest['run_id']}.md")
    assert Path(out.strip()).exists()

    code, out, _ = invoke("storage", "Acme", "--json")
    stats = json.loads(out)
    assert stats["folders"]["final"]["files"] >= 2 and stats["folders"]["data"]["files"] == 3

    code, _, err = invoke("cancel", manifest["run_id"])
    assert code == 1 and "already ended" in err


def test_status_of_an_unknown_run() -> None:
    code, _, err = invoke("status", "20990101-000000-abcdef")
    assert code == 1 and "casebook runs" in err


def test_search_before_ingest_says_what_to_do() -> None:
    code, _, err = invoke("search", "Nobody Inc", "anything")
    assert code == 1 and "casebook ingest" in err


def test_render_a_finished_run_again_in_another_language(docs: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer() as server:
        env = {"OPENAI_BASE_URL": server.base_url, "CASEBOOK_REPORT_FORMATS": ""}
        code, out, err = invoke("run", "Acme", "--docs", str(docs), "--use-cases", "2", "--json", env=env)
    assert code == 0, err
    run_id = json.loads(out)["run_id"]
    german = Path(__file__).resolve().parents[2] / "src" / "casebook" / "templates" / "de.toml"
    code, out, err = invoke("render", run_id, "--formats", "html,docx", "--template", str(german))
    assert code == 0, err
    paths = [Path(line) for line in out.split()]
    assert [p.suffix for p in paths] == [".html", ".docx"] and all(p.exists() for p in paths)
    assert "Teil A: Unternehmensanalyse" in paths[0].read_text()


def test_render_before_the_run_finished() -> None:
    code, _, err = invoke("render", "20990101-000000-abcdef")
    assert code == 1 and "no run" in err


def test_an_unexpected_error_names_where_it_was_raised() -> None:
    """A bug report without the traceback still says where: the innermost frame, and casebook's
    own innermost frame when another package raised (paths are made up, the frames are real)."""
    from casebook.cli.app import origin

    library = compile("def fail():\n    raise OSError('database is locked')\n", "/site/dbos/_sys_db.py", "exec")
    ours = compile("def register(fail):\n    fail()\n", "/src/casebook/executors.py", "exec")
    scope_lib: dict[str, Any] = {}
    scope_ours: dict[str, Any] = {}
    exec(library, scope_lib)
    exec(ours, scope_ours)
    try:
        scope_ours["register"](scope_lib["fail"])
    except OSError as exc:
        assert origin(exc) == "at dbos/_sys_db.py:2, from casebook/executors.py:2"
    try:
        scope_ours["register"](lambda: scope_ours["register"](None))
    except TypeError as exc:
        assert origin(exc) == "at casebook/executors.py:2"
    assert origin(ValueError("never raised")) == "at an unknown place"
