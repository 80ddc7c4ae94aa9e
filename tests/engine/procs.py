"""Real casebook processes for the durability tests: start them, read their logs as they come,
wait for what they say, and a fake model whose chosen calls are held until the test lets go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casebook.testing.answers import schema_answer
from tests.prompt_steps import call_key


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Held:
    """A fake model handler: calls of the held steps wait until `release()`; the rest answer."""

    def __init__(self, *keys: str) -> None:
        self.keys = set(keys)
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    def __call__(self, request: dict[str, Any]) -> Any:
        if call_key(request) in self.keys:
            self.released.wait(300)
        return schema_answer(request)


def calls(server: Any) -> Counter[str]:
    return Counter(call_key(r) for r in server.requests)


class Proc:
    """`python -m casebook …` with its stderr read line by line as it comes."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.args = args
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "casebook", *args],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.popen.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.popen.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def logged(self, message: str, **fields: Any) -> bool:
        """True once a JSON log line with this message (and these fields) was written."""
        for line in list(self.err):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("message") == message and all(entry.get(k) == v for k, v in fields.items()):
                return True
        return False

    def said(self, text: str) -> bool:
        return any(text in line for line in list(self.err))

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int) -> None:
        os.kill(self.popen.pid, signum)

    def finish(self, timeout: float = 180) -> tuple[int, str, str]:
        rc = self.popen.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return rc, "".join(self.out), "".join(self.err)

    def stop(self) -> None:
        if self.alive():
            self.popen.kill()
        self.finish(timeout=30)


def run_manifest(storage: Path) -> dict[str, Any]:
    found = list(storage.glob("*/runs/*.json"))
    assert len(found) == 1, found
    return dict(json.loads(found[0].read_text()))
