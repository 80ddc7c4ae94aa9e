"""A run whose process is gone (kill -9 of `casebook run` in Part B): `casebook status`, GET
/v1/runs/{id} and the web run page say the same thing, what to do; the web app's Resume hands
the run to the workers, and a worker finishes it from its checkpoints."""

from __future__ import annotations

import html
import json
import re
import signal
from collections import Counter
from pathlib import Path

from casebook.testing.openai_server import FakeOpenAIServer
from tests.engine.procs import Held, Proc, calls, run_manifest, wait_for
from tests.engine.test_graceful import BEFORE_PART_B_ENDS, COMPANY, HELD, environment, part_b_half_done
from tests.factories import write_docs
from tests.server.api import AUTH, Api, running_api
from tests.web.test_session import csrf_of, signed_in


def test_status_api_and_web_page_agree_on_a_run_whose_process_is_gone(tmp_path: Path) -> None:
    storage, docs, held = tmp_path / "outputs", write_docs(tmp_path / "docs"), Held(*HELD)
    with FakeOpenAIServer(held) as llm:
        env = environment(storage, llm.base_url, None)
        run = Proc(env, "run", COMPANY, "--docs", str(docs), "--use-cases", "4")
        try:
            wait_for(lambda: part_b_half_done(storage, llm, run), 300, "two sections done, two in flight")
            run.signal(signal.SIGKILL)
        finally:
            run.stop()
        held.release()
        run_id = run_manifest(storage)["run_id"]
        before = calls(llm)
        rc, out, err = Proc(env, "status", run_id, "--json").finish()
        status = json.loads(out)
        text_rc, text_out, _ = Proc(env, "status", run_id).finish()
        with running_api(tmp_path) as api:  # the same storage and workflow database; no worker here
            with api.client() as c:
                body = c.get(f"/v1/runs/{run_id}", headers=AUTH).json()
            with signed_in(api) as c:
                page = c.get(f"/app/runs/{run_id}")
                resumed = c.post(f"/app/runs/{run_id}/retry", data={"csrf_token": csrf_of(page)})
            with api.client() as c:
                queued = c.get(f"/v1/runs/{run_id}", headers=AUTH).json()
            worker = Proc(env, "worker", "--executor-id", "w1")
            try:
                # the workflow's end, which the engine records after the manifest's: a worker stopped
                # between the two would leave the attempt unfinished, and the status would say so
                wait_for(lambda: engine_status(api, run_id) == "SUCCESS", 300, "the worker to finish")
            finally:
                worker.signal(signal.SIGTERM)
                worker.finish()
            with api.client() as c:
                done = c.get(f"/v1/runs/{run_id}", headers=AUTH).json()
        after = calls(llm) - before

    hint = status["hint"]
    same = lambda text: re.sub(r"\d+ s\b", "N s", text)  # noqa: E731 - how long it has been silent, as read
    assert rc == 0, err
    assert status["status"] == "running" and status["executor_alive"] is False
    assert "its process is gone" in hint and f"`casebook resume {run_id}`" in hint
    assert text_rc == 0 and "its process is gone" in text_out
    assert body["status"] == "running" and same(body["hint"]) == same(hint)
    page_text = html.unescape(page.text)
    assert page.status_code == 200 and same(hint) in same(page_text) and "Its process is gone" in page_text
    assert f'action="/app/runs/{run_id}/retry"' in page.text  # Resume, beside Cancel
    assert resumed.status_code == 303
    assert queued["status"] == "queued" and "no live `casebook worker`" in (queued["hint"] or "")
    assert done["status"] == "succeeded" and done["hint"] is None
    assert before == BEFORE_PART_B_ENDS
    assert after == Counter({"part_b:3": 1, "part_b:4": 1, "consolidate": 1, "style": 1})
    assert run_manifest(storage)["workflow_ids"] == [run_id]  # the same attempt, from its checkpoints


def engine_status(api: Api, run_id: str) -> str | None:
    with api.client() as c:
        status: str | None = c.get(f"/v1/runs/{run_id}", headers=AUTH).json()["engine_status"]
    return status
