"""Turn the SDK's exceptions into one clear sentence: what failed, where, what to do.

Messages never include the API key or request headers; callers still pass them
through `casebook.logs.mask` as a second guard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import openai

from casebook.errors import LLMError

_MODEL_MISSING = re.compile(
    r"model.*(not found|does not exist|not exist|unknown)|no such model", re.I
)
_SCHEMA_WORDS = re.compile(r"response_format|json[_ ]schema|structured output|grammar", re.I)


class UnusableAnswer(ValueError):
    """The endpoint answered, but with nothing casebook can use (no choices, a refusal)."""


def _server_message(exc: openai.APIStatusError, limit: int = 240) -> str:
    body: Any = exc.body
    message: Any = None
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
    if not message:
        message = exc.response.text if exc.response is not None else ""
    text = " ".join(str(message or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later: a timeout, a dropped connection, a rate limit or a server error."""
    if isinstance(exc, openai.APIConnectionError | openai.RateLimitError):
        return True  # APITimeoutError is an APIConnectionError
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def is_schema_rejection(exc: BaseException) -> bool:
    """A 400/422 that says the endpoint cannot do response_format json_schema."""
    if not isinstance(exc, openai.APIStatusError) or exc.status_code not in (400, 422):
        return False
    param = getattr(exc, "param", None) or ""
    return bool(_SCHEMA_WORDS.search(f"{param} {_server_message(exc, 2000)}"))


def _cause(exc: BaseException) -> str:
    """The low-level reason under a connection error, e.g. 'connection refused'."""
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        text = str(seen).lower()
        if isinstance(seen, ConnectionRefusedError) or "refused" in text:
            return "connection refused"
        if "name or service not known" in text or "nodename nor servname" in text:
            return "unknown host name"
        if "certificate" in text or "ssl" in text:
            return "TLS/certificate error"
        if "reset" in text:
            return "connection reset"
        seen = seen.__cause__ or seen.__context__
    return "could not connect"


def describe_error(
    exc: BaseException,
    *,
    step: str,
    model: str,
    host: str,
    endpoint: str,
    attempts: int,
    timeout_s: float,
) -> str:
    prefix = f"step {step}: {model} on {host}"
    tries = tries_phrase(attempts)
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"{prefix}: timed out (no answer within {timeout_s:g} s) {tries}. The endpoint is "
            "slow or overloaded: retry later, raise CASEBOOK_LLM_TIMEOUT_S, or check "
            "OPENAI_BASE_URL"
        )
    if isinstance(exc, openai.APIConnectionError):
        return (
            f"{prefix}: {_cause(exc)} {tries}: check OPENAI_BASE_URL ({endpoint}) and that the "
            "server is running and reachable"
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        code = str(getattr(exc, "code", None) or "")
        server = _server_message(exc)
        if status == 401:
            return (
                f"{prefix}: the endpoint rejected the API key (HTTP 401): check OPENAI_API_KEY "
                "(and that it belongs to this endpoint, OPENAI_BASE_URL)"
            )
        if status == 403:
            return (
                f"{prefix}: access denied (HTTP 403): check OPENAI_API_KEY and that its project "
                f"may use {model}"
            )
        if status == 404:
            if code == "model_not_found" or _MODEL_MISSING.search(server):
                return (
                    f"{prefix}: unknown model {model} on this endpoint (HTTP 404): pick another "
                    "--model-set or edit model sets (CASEBOOK_MODEL_SETS_FILE)"
                )
            return (
                f"{prefix}: no Chat Completions route at {endpoint}/chat/completions (HTTP 404): "
                "check OPENAI_BASE_URL (it usually ends in /v1)"
            )
        if status == 429:
            if code == "insufficient_quota":
                return (
                    f"{prefix}: the account is out of quota (HTTP 429 insufficient_quota): "
                    "check billing for this API key"
                )
            return (
                f"{prefix}: rate limited (HTTP 429) {tries}: retry later or lower "
                "CASEBOOK_PART_B_CONCURRENCY"
            )
        if status >= 500:
            return (
                f"{prefix}: server error (HTTP {status}) {tries}: retry later. "
                f"Server said: {server}"
            )
        if code == "context_length_exceeded" or "context length" in server.lower():
            return (
                f"{prefix}: the prompt is too long for this model (HTTP {status}): use a model "
                f"with a larger context or fewer documents. Server said: {server}"
            )
        return f"{prefix}: the request was refused (HTTP {status}). Server said: {server}"
    if isinstance(exc, UnusableAnswer):
        return f"{prefix}: {exc}"
    if isinstance(exc, openai.OpenAIError | ValueError):
        detail = " ".join(str(exc).split())[:240]
        return (
            f"{prefix}: the endpoint's answer is not a usable Chat Completions response "
            f"({type(exc).__name__}: {detail}): check OPENAI_BASE_URL"
        )
    return f"{prefix}: {type(exc).__name__}"


def tries_phrase(attempts: int) -> str:
    return f"after {attempts} attempt{'s' if attempts != 1 else ''}"


def recount(errors: Sequence[BaseException]) -> BaseException | None:
    """The last of a step's failed attempts, its message counting the requests of them all.

    Each attempt's LLMError says how many requests it made ("after 5 attempts"); when the
    engine ran the step three times, the user should read "after 15 attempts"."""
    if not errors:
        return None
    last = errors[-1]
    calls = [e.attempts for e in errors if isinstance(e, LLMError)]
    if not isinstance(last, LLMError) or not last.attempts or len(calls) < 2:
        return last
    total = sum(calls)
    message = str(last).replace(tries_phrase(last.attempts), f"{tries_phrase(total)} in {len(errors)} step attempts")
    again = LLMError(message)
    again.transient, again.attempts = last.transient, total
    return again
