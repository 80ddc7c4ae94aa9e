"""Shared fixtures. Real network calls to model providers are switched off for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook.config import Settings, get_settings


@pytest.fixture(autouse=True)
def _no_real_llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # A stray real call fails loudly: the base URL points at a closed loopback port.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("CASEBOOK_STORAGE_URL", str(tmp_path / "outputs"))
    monkeypatch.delenv("CASEBOOK_DATABASE_URL", raising=False)
    monkeypatch.setenv("CASEBOOK_LOG_FORMAT", "json")
    monkeypatch.setenv("CASEBOOK_DELIVER_FOLDER", str(tmp_path / "reports"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_url=str(tmp_path / "outputs"))


@pytest.fixture
def sample_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "examples" / "northwind-logistics"
