"""The one way casebook talks to a model: OpenAI's Chat Completions API via the official SDK.

Works with OpenAI and any compatible endpoint (the embedded llama.cpp server, vLLM, …).
Transient failures (408/409/429/5xx, timeouts, refused connections) are retried by the
SDK itself, with exponential backoff and jitter, honouring Retry-After. Every call books
its worst-case cost on the run's `UsageLedger` first, so a budget stop happens before
the request is sent.

An answer cut at max_tokens (finish_reason `length`) is never returned as if it were whole:
a text answer is continued from where it stopped, a JSON answer is asked again with twice
the limit (a JSON text cannot be continued blindly), each at most `length_retries` times;
then the step fails with an LLMError that names the setting to raise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any, TypeVar, cast

import httpx
import openai
import pydantic
from aiolimiter import AsyncLimiter

from casebook.errors import LLMError
from casebook.llm.continuation import continue_messages, cut_error, join_continuation
from casebook.llm.failures import describe_error, is_schema_rejection, is_transient
from casebook.llm.modelsets import StepModel
from casebook.llm.requests import (
    Answer,
    build_request,
    message_chars,
    send,
    send_streaming,
)
from casebook.llm.schema import extract_json, schema_name, short_reason, strict_json_schema
from casebook.llm.usage import CallUsage, UsageLedger, estimate_tokens
from casebook.logs import get_logger, mask, register_secret

PLACEHOLDER_API_KEY = "not-needed"  # local endpoints want no key, the SDK wants one
M = TypeVar("M", bound=pydantic.BaseModel)


class _SchemaRejected(LLMError):
    """The endpoint does not accept response_format json_schema."""


# One limiter per endpoint (and event loop) in this process, shared by every run's client.
_limiters: dict[tuple[str, int, int], AsyncLimiter] = {}


def _limiter_for(endpoint: str, requests_per_minute: int | None) -> AsyncLimiter | None:
    if not requests_per_minute:
        return None
    key = (endpoint, requests_per_minute, id(asyncio.get_running_loop()))
    if key not in _limiters:
        _limiters[key] = AsyncLimiter(requests_per_minute, 60)
    return _limiters[key]


class LLMClient:
    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        ledger: UsageLedger,
        timeout_s: float = 120,
        max_retries: int = 4,
        http_client: httpx.AsyncClient | None = None,
        requests_per_minute: int | None = None,
        schema_lengths: bool = False,
        length_retries: int = 2,
    ) -> None:
        register_secret(api_key)
        self._api_key = api_key or ""
        self._ledger = ledger
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._openai = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or PLACEHOLDER_API_KEY,
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=cast(Any, http_client),
        )
        url = self._openai.base_url
        self.host = f"{url.host}:{url.port}" if url.port else str(url.host)
        self.endpoint = f"{url.scheme}://{self.host}{url.path}".rstrip("/")
        self.json_mode = "json_schema"  # becomes "json_object" once the endpoint refuses schemas
        self._requests_per_minute = requests_per_minute
        self._schema_lengths = schema_lengths  # send minLength/maxLength (llama.cpp enforces them)
        self._length_retries = length_retries  # continuations of a cut answer (or larger JSON limits)

    @property
    def ledger(self) -> UsageLedger:
        return self._ledger

    async def aclose(self) -> None:
        await self._openai.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------------ public calls

    async def chat(
        self,
        step: str,
        model: StepModel,
        messages: list[dict[str, Any]],
        *,
        stream: bool = False,
        item: int | None = None,
    ) -> str:
        """Plain text, whole: an answer cut at max_tokens is continued from where it stopped.

        `item` numbers the calls of one step (the use case of a Part B section).
        """
        answer = await self._call(step, model, messages, stream=stream, item=item)
        text = answer.text
        rounds = 0
        while answer.finish_reason == "length":
            if rounds >= self._length_retries:
                raise cut_error(step, model, model.max_tokens, rounds, continued=True)
            rounds += 1
            get_logger().warning(
                f"step {step}: the answer was cut at max_tokens={model.max_tokens}; asking the model to "
                f"continue it ({rounds}/{self._length_retries})",
                llm_step=step,
                model=model.model,
            )
            asked = continue_messages(messages, text)
            answer = await self._call(step, model, asked, stream=stream, item=item, allow_empty=True)
            text = join_continuation(text, answer.text)
        return text

    async def structured(
        self,
        step: str,
        model: StepModel,
        messages: list[dict[str, Any]],
        schema: type[M],
        *,
        item: int | None = None,
    ) -> M:
        """An answer validated against `schema`, with one repair attempt if it is not.

        `item` numbers the calls of one step (a use case written on its own)."""
        json_schema = strict_json_schema(schema, keep_lengths=self._schema_lengths)
        asked = self._with_schema(messages, schema, json_schema)
        answer = await self._whole_json(step, model, asked, schema, json_schema, item)
        try:
            return self._validate(answer.text, schema)
        except (json.JSONDecodeError, pydantic.ValidationError) as exc:
            reason = short_reason(exc)
        asked = self._with_schema(messages, schema, json_schema)  # the mode may have changed
        get_logger().warning(
            f"step {step}: the answer did not match the schema, asking once for a repair: {reason}",
            llm_step=step,
            model=model.model,
        )
        repair = [
            *asked,
            {"role": "assistant", "content": answer.text},
            {
                "role": "user",
                "content": (
                    "Your answer did not match the required JSON schema: "
                    f"{reason}\nReply with the corrected JSON object only: no prose, no code "
                    "fences."
                ),
            },
        ]
        answer = await self._whole_json(step, model, repair, schema, json_schema, item)
        try:
            return self._validate(answer.text, schema)
        except (json.JSONDecodeError, pydantic.ValidationError) as exc:
            raise LLMError(
                f"step {step}: the model's answer did not match the schema after one repair: {short_reason(exc)}"
            ) from None

    # ------------------------------------------------------------------------ internals

    @staticmethod
    def _validate(text: str, schema: type[M]) -> M:
        return schema.model_validate(extract_json(text))

    def _with_schema(
        self,
        messages: list[dict[str, Any]],
        schema: type[pydantic.BaseModel],
        json_schema: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """In json_object mode the schema travels in the system prompt."""
        if self.json_mode == "json_schema":
            return list(messages)
        note = (
            "Answer with one JSON object only, no prose and no code fences. It must match "
            f"this JSON schema ({schema_name(schema)}):\n```json\n"
            f"{json.dumps(json_schema, ensure_ascii=False)}\n```"
        )
        out = [dict(m) for m in messages]
        if out and out[0].get("role") == "system" and isinstance(out[0].get("content"), str):
            out[0]["content"] = f"{out[0]['content']}\n\n{note}"
        else:
            out.insert(0, {"role": "system", "content": note})
        return out

    async def _whole_json(
        self,
        step: str,
        model: StepModel,
        messages: list[dict[str, Any]],
        schema: type[pydantic.BaseModel],
        json_schema: dict[str, Any],
        item: int | None = None,
    ) -> Answer:
        """A JSON answer that was not cut: one cut at max_tokens is asked again with twice the limit."""
        limit = model
        for rounds in range(self._length_retries + 1):
            answer = await self._call_json(step, limit, messages, schema, json_schema, item)
            if answer.finish_reason != "length":
                return answer
            if rounds == self._length_retries:
                break
            larger = dataclasses.replace(limit, max_tokens=limit.max_tokens * 2)
            get_logger().warning(
                f"step {step}: the JSON answer was cut at max_tokens={limit.max_tokens}; asking again "
                f"with max_tokens={larger.max_tokens} ({rounds + 1}/{self._length_retries})",
                llm_step=step,
                model=model.model,
            )
            limit = larger
        raise cut_error(step, model, limit.max_tokens, self._length_retries, continued=False)

    async def _call_json(
        self,
        step: str,
        model: StepModel,
        messages: list[dict[str, Any]],
        schema: type[pydantic.BaseModel],
        json_schema: dict[str, Any],
        item: int | None = None,
    ) -> Answer:
        if self.json_mode == "json_schema":
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": schema_name(schema), "schema": json_schema, "strict": True},
            }
            try:
                return await self._call(step, model, messages, response_format=response_format, item=item)
            except _SchemaRejected:
                get_logger().warning(
                    f"{self.host} does not accept response_format json_schema: using json_object "
                    "with the schema in the prompt from now on",
                    llm_step=step,
                    model=model.model,
                )
                self.json_mode = "json_object"
                messages = self._with_schema(messages, schema, json_schema)
        return await self._call(step, model, messages, response_format={"type": "json_object"}, item=item)

    async def _call(
        self,
        step: str,
        model: StepModel,
        messages: list[dict[str, Any]],
        *,
        stream: bool = False,
        response_format: dict[str, Any] | None = None,
        item: int | None = None,
        allow_empty: bool = False,
    ) -> Answer:
        request = build_request(model, messages, response_format, step=step, item=item)
        reservation = self._ledger.reserve(step, model.model, message_chars(messages), model.max_tokens)
        limiter = _limiter_for(self.endpoint, self._requests_per_minute)
        if limiter is not None:
            await limiter.acquire()
        started = time.perf_counter()
        failure: LLMError | None = None
        try:
            if stream:
                answer, usage = await send_streaming(self._openai, request)
            else:
                answer, usage = await send(self._openai, request)
        except (openai.OpenAIError, ValueError) as exc:
            self._ledger.release(reservation)
            failure = self._failure(exc, step, model, response_format)
        except BaseException:
            self._ledger.release(reservation)
            raise
        if failure is not None:
            if not isinstance(failure, _SchemaRejected):
                get_logger().warning(
                    f"llm call {step} {model.model} failed: {failure}",
                    llm_step=step,
                    model=model.model,
                    seconds=round(time.perf_counter() - started, 3),
                )
            # raised outside the except block: no chained SDK error (request, headers) at all
            raise failure
        seconds = time.perf_counter() - started
        estimated = usage is None
        if usage is None:
            prompt_tokens = estimate_tokens(message_chars(messages))
            completion_tokens = estimate_tokens(len(answer.text))
        else:
            prompt_tokens, completion_tokens = usage
        cost = self._ledger.prices.cost(model.model, prompt_tokens, completion_tokens)
        self._ledger.settle(
            reservation,
            CallUsage(
                step=step,
                model=model.model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd=cost,
                seconds=seconds,
                estimated=estimated,
            ),
        )
        cost_text = "unknown cost" if cost is None else f"${cost:.5f}"
        get_logger().info(
            f"llm call {step} {model.model}: {prompt_tokens}+{completion_tokens} tokens"
            f"{' (estimated)' if estimated else ''}, {cost_text}, {seconds:.2f} s",
            llm_step=step,
            model=model.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=prompt_tokens + completion_tokens,
            tokens_estimated=estimated,
            cost_usd=cost,
            seconds=round(seconds, 3),
        )
        if not answer.text.strip() and not (allow_empty and answer.finish_reason != "length"):
            hint = (
                f"; it stopped at max_tokens={model.max_tokens}: raise max_tokens for {step!r} in the model set"
                if answer.finish_reason == "length"
                else ""
            )
            raise LLMError(
                f"step {step}: {model.model} on {self.host} returned an empty answer "
                f"(finish_reason={answer.finish_reason}){hint}"
            )
        return answer

    def _failure(
        self,
        exc: BaseException,
        step: str,
        model: StepModel,
        response_format: dict[str, Any] | None,
    ) -> LLMError:
        if (response_format or {}).get("type") == "json_schema" and is_schema_rejection(exc):
            return _SchemaRejected(f"step {step}: {self.host} refused response_format json_schema")
        message = describe_error(
            exc,
            step=step,
            model=model.model,
            host=self.host,
            endpoint=self.endpoint,
            attempts=self._max_retries + 1,
            timeout_s=self._timeout_s,
        )
        error = LLMError(self._scrub(message))
        error.transient = is_transient(exc)
        error.attempts = self._max_retries + 1
        return error

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return mask(text)
