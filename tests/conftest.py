"""Shared fixtures. Real network calls to model providers are switched off for every test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import s3fs
from moto.server import ThreadedMotoServer

from casebook.config import Settings, get_settings
from tests import postgres
from tests.moto_s3 import use_moto


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


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """One moto S3 server on loopback for the module; each test makes its own bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh bucket; the standard AWS variables point every client at moto, and nothing else."""
    use_moto(monkeypatch, moto_endpoint, tmp_path)
    bucket = f"casebook-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    yield bucket
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    """An admin URL of a PostgreSQL server for the tests (see tests/postgres.py): started once."""
    with postgres.admin_url() as url:
        yield url


@pytest.fixture
def pg_database(pg_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with postgres.fresh_database(pg_admin) as url:
        yield url
