"""`casebook serve` as a real process, for the server tests: its environment, its event stream."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx

KEY = "process-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}


def server_env(tmp_path: Path, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOOK_")}
    env.update({
        "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-test-x", "CASEBOOK_STORAGE_URL": str(tmp_path / "outputs"),
        "CASEBOOK_API_KEYS": KEY, "CASEBOOK_LOG_LEVEL": "WARNING", "CASEBOOK_LLM_MAX_RETRIES": "0",
        "CASEBOOK_EXECUTOR_ID": f"test-{uuid.uuid4().hex[:8]}", "CASEBOOK_RATE_LIMIT_PER_ADDRESS": "100000/minute",
    })
    env.update(extra)
    return env


def follow(base_url: str, run_id: str, timeout: float = 120) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = ""
    with httpx.Client(base_url=base_url, timeout=timeout) as c, \
            c.stream("GET", f"/v1/runs/{run_id}/events", headers=AUTH) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events
