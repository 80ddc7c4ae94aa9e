"""The HTTP API on a real uvicorn in a thread, for the server tests: keys, settings, helpers."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from casebook.config import Settings
from casebook.server import ServerSettings, create_app
from casebook.server.testing import ServerThread

KEY = "test-key-0123456789abcdef"
OTHER_KEY = "test-key-fedcba9876543210"
SECRET = "whsec_" + base64.b64encode(b"casebook-test-webhook-secret-32b").decode()
AUTH = {"Authorization": f"Bearer {KEY}"}
MD = b"# Northwind\n\nInvoice matching is manual and takes nine people in finance.\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Api:
    base_url: str
    settings: Settings
    root: Path
    app: Any

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kw)


def server_settings(**overrides: Any) -> ServerSettings:
    values: dict[str, Any] = {
        "api_keys": f"{KEY},{OTHER_KEY}", "webhook_secret": SECRET, "cors_origins": "https://forms.example",
        "max_request_mb": 2.0, "rate_limit_per_key": "10000/minute", "rate_limit_per_address": "10000/minute",
    }
    values.update(overrides)
    return ServerSettings(**values)


@contextlib.contextmanager
def running_api(root: Path, *, settings: dict[str, Any] | None = None, **server: Any) -> Iterator[Api]:
    values: dict[str, Any] = {
        "storage_url": str(root / "outputs"), "openai_base_url": "http://127.0.0.1:9/v1",
        "openai_api_key": "sk-test-not-a-real-key", "max_file_mb": 1.0,
    }
    values.update(settings or {})
    cfg = Settings(**values)
    app = create_app(cfg, server_settings(**server))
    with ServerThread(app) as base_url:
        yield Api(base_url, cfg, root / "outputs", app)


def files_json(*items: tuple[str, bytes]) -> list[dict[str, str]]:
    return [{"name": n, "content_base64": base64.b64encode(d).decode()} for n, d in items]


def manifests(root: Path) -> list[Path]:
    return sorted(root.glob("*/runs/*.json"))
