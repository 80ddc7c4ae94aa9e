"""Durable runs with real processes: kill -9 in the middle of Part B, then resume."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer, FakeResponse
from tests.factories import write_docs
from tests.prompt_steps import call_key

SLOW = {3, 4}  # Part B sections still in flight when the process dies


def cli(env: dict[str, str], *args: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "casebook", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_during_part_b_then_resume_pays_only_for_calls_in_flight(tmp_path: Path) -> None:
    killed = {"done": False}

    def handler(request: dict[str, Any]) -> Any:
        key = call_key(request)
        if not killed["done"] and key in {f"part_b:{n}" for n in SLOW}:
            return FakeResponse(content=schema_answer(request), delay_s=30)  # never answered before the kill
        return schema_answer(request)

    storage = tmp_path / "outputs"
    with FakeOpenAIServer(handler) as server:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-test-x",
            "CASEBOOK_STORAGE_URL": str(storage),
            "CASEBOOK_LOG_LEVEL": "WARNING",
            "CASEBOOK_LLM_MAX_RETRIES": "0",
        }
        docs = write_docs(tmp_path / "docs")
        proc = cli(env, "run", "Northwind Logistics", "--docs", str(docs), "--use-cases", "4")
        sections = lambda: sorted(storage.glob("*/runs/*/part_b/*.md"))  # noqa: E731
        in_flight = lambda: sum(call_key(r) in {"part_b:3", "part_b:4"} for r in server.requests)  # noqa: E731

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"run ended early: {proc.communicate()}")
            part_a_done = len(list(storage.glob("*/part_a/*.md"))) == 1  # Part A runs beside Part B
            return len(sections()) == 2 and in_flight() == 2 and part_a_done

        wait_for(ready, 60, "two sections done, two in flight")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed["done"] = True
        before = Counter(call_key(r) for r in server.requests)

        manifest_path = next(storage.glob("*/runs/*.json"))
        run_id = manifest_path.stem
        assert json.loads(manifest_path.read_text())["status"] == "running"

        resumed = cli(env, "resume", run_id, "--json")
        out, err = resumed.communicate(timeout=600)
        assert resumed.returncode == 0, err
        after = Counter(call_key(r) for r in server.requests) - before

    manifest = json.loads(out)
    assert manifest["status"] == "succeeded"
    final = storage / manifest["company_slug"] / manifest["final_report"]
    assert final.exists() and final.with_suffix(".ready").exists()
    assert len(re.findall(r"^### \d\. ", final.read_text(), re.M)) == 4
    # Before the kill: everything up to Part B once, Part B 1 and 2 finished, 3 and 4 in flight.
    assert before == Counter(
        {"evidence": 1, "use_cases": 1, "part_a": 1, "part_b:1": 1, "part_b:2": 1, "part_b:3": 1, "part_b:4": 1}
    )
    # After: only the calls that were in flight, then the steps that had not started.
    assert after == Counter({"part_b:3": 1, "part_b:4": 1, "consolidate": 1, "style": 1})
