"""The report check seen over HTTP: a run whose Part B section stays cut after its one revision
ends with the finding in its status (`casebook serve --with-worker` as a real process, the model
endpoint a loopback fake that answers as scripted)."""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from casebook.server.testing import ServerProcess
from casebook.testing import item_of, step_of
from casebook.testing.answers import passages_in, schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs
from tests.prompt_steps import call_key
from tests.server.process import AUTH, follow, server_env


def cut_second_section(request: dict[str, Any]) -> Any:
    if step_of(request) in ("part_b", "revise_part_b") and item_of(request) == 2:
        sid, text = next(iter(passages_in(request).items()))
        return f"#### Problem\n\n{text.split('.')[0]} [{sid}].\n\nThe pilot will start in the depot with the"
    return schema_answer(request)


def test_findings_the_revision_left_are_in_the_runs_status(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    files = [
        {"name": p.name, "content_base64": base64.b64encode(p.read_bytes()).decode()} for p in sorted(docs.iterdir())
    ]
    with FakeOpenAIServer(cut_second_section) as llm:
        env = server_env(tmp_path, llm.base_url, CASEBOOK_REPORT_FORMATS="")
        with ServerProcess(env, "--with-worker") as server, httpx.Client(base_url=server.base_url, timeout=30) as c:
            r = c.post(
                "/v1/submissions",
                json={"company_name": "Checked Co", "use_cases_count": 2, "files": files},
                headers=AUTH,
            )
            assert r.status_code == 202, r.text
            name, event = follow(server.base_url, r.json()["run_id"], timeout=600)[-1]
            status = c.get(r.json()["status_url"], headers=AUTH).json()
        calls = Counter(call_key(q) for q in llm.requests)
    assert name == "end" and event["status"] in ("succeeded", "needs_review"), status["error"]
    checks = status["checks"]
    assert checks["regenerated"] == ["part_b:2"] and calls["revise_part_b:2"] == 1
    cut = [f for f in checks["findings"] if f["kind"] == "cut_sentence"]
    assert [f["section"] for f in cut] == ["part_b:2"]
    assert cut[0]["excerpt"].endswith("in the depot with the") and cut[0]["message"]
    assert status["metrics"]["check_findings"] == len(checks["findings"])
