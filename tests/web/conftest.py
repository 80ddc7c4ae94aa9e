"""Fixtures of the web app's tests: one Chromium, a fake model that a test can hold, and
`casebook serve --with-worker` as a real process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from casebook.server.testing import ServerProcess
from casebook.testing.answers import schema_answer
from casebook.testing.openai_server import FakeOpenAIServer
from tests.server.process import server_env
from tests.web.browser import chromium


class Hold:
    """Model calls wait while held; `held` is set once a call is waiting."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.held = threading.Event()

    def close(self) -> None:
        self.release.clear()
        self.held.clear()

    def open(self) -> None:
        self.release.set()

    def __call__(self, request: dict[str, Any]) -> Any:
        if not self.release.is_set():
            self.held.set()
            self.release.wait(120)
        return schema_answer(request)


@dataclass
class Served:
    base_url: str
    root: Path
    hold: Hold
    llm: FakeOpenAIServer
    process: ServerProcess


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("webapp")
    hold = Hold()
    with FakeOpenAIServer(hold) as llm:
        env = server_env(
            root, llm.base_url,
            CASEBOOK_PUBLIC_INTAKE="1", CASEBOOK_REPORT_FORMATS="html", CASEBOOK_DELIVER_FOLDER=str(root / "reports"),
            CASEBOOK_BRAND_NAME="Northwind Advisory", CASEBOOK_BRAND_PRIMARY="#0b5394",
        )
        with ServerProcess(env, "--with-worker") as process:
            try:
                yield Served(process.base_url, root, hold, llm, process)
            finally:
                hold.open()
