"""`casebook check RUN [--json]`: the findings in a run's final report, exit 5 when there are any."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from casebook.cli import app
from casebook.testing import item_of, step_of
from casebook.testing.answers import passages_in
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import ai_use_cases_answer as answer
from tests.factories import write_docs

runner = CliRunner()


def cut_first_section(request: dict[str, Any]) -> Any:
    if step_of(request) in ("part_b", "revise_part_b") and item_of(request) == 1:
        sid, text = next(iter(passages_in(request).items()))
        return f"#### Problem\n\n{text.split('.')[0]} [{sid}].\n\nThe pilot will start in the depot with the"
    return answer(request)


def run_and_check(tmp_path: Path, handler: Any) -> tuple[int, str, str]:
    docs = write_docs(tmp_path / "docs")
    with FakeOpenAIServer(handler) as server:
        env = {
            "OPENAI_BASE_URL": server.base_url,
            "CASEBOOK_REPORT_FORMATS": "",
            "CASEBOOK_STORAGE_URL": str(tmp_path / "outputs"),
        }
        done = runner.invoke(app, ["run", "Acme", "--docs", str(docs), "--use-cases", "2", "--json"], env=env)
        assert done.exit_code in (0, 4), done.stderr
        run_id = json.loads(done.stdout)["run_id"]
        as_json = runner.invoke(app, ["check", run_id, "--json"], env=env)
        text = runner.invoke(app, ["check", run_id], env=env)
    assert text.exit_code == as_json.exit_code
    return as_json.exit_code, as_json.stdout, text.stdout


def test_check_lists_findings_as_json_and_exits_5(tmp_path: Path) -> None:
    code, out, text = run_and_check(tmp_path, cut_first_section)
    assert code == 5
    body = json.loads(out)
    assert set(body) == {"run_id", "report", "count", "findings"}
    assert body["count"] == len(body["findings"]) >= 1
    assert body["report"].endswith(f"final/FINAL_REPORT_{body['run_id']}.md")
    finding = next(f for f in body["findings"] if f["kind"] == "cut_sentence")
    assert set(finding) == {"kind", "section", "message", "excerpt"}
    assert finding["section"] == "part_b:1" and finding["excerpt"].endswith("in the depot with the")
    assert "cut_sentence · part_b:1" in text


def test_check_of_a_clean_report_exits_0(tmp_path: Path) -> None:
    code, out, text = run_and_check(tmp_path, answer)
    body = json.loads(out)
    assert code == 0, body["findings"]
    assert body["count"] == 0 and body["findings"] == []
    assert text.startswith("no findings in ")


def test_check_of_an_unknown_run_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "20990101-000000-abcdef"], env={"CASEBOOK_STORAGE_URL": str(tmp_path)})
    assert result.exit_code == 1
    assert "casebook runs" in result.stderr and "Traceback" not in result.stderr
