"""Structured logs: JSON lines with the original's fields, or a readable console form.

Fields: timestamp, level, service, company, message, step, total_steps, run_id and, for
metrics, metric_name / metric_value / metric_unit. Logs go to stderr by default so a
command's own output on stdout stays parseable. Secrets are masked before any line is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO, cast

import structlog

from casebook.config import Settings

_SECRET_KEYS = re.compile(
    r"(api[_-]?key|secret|password|authorization|credential|access[_-]?token|refresh[_-]?token"
    r"|id[_-]?token|bearer|^token$)",
    re.I,
)
_SECRET_VALUES = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|whsec_[A-Za-z0-9+/=]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,})")
_known_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask this exact value wherever it would appear in a log line."""
    if value and len(value) >= 6:
        _known_secrets.add(value)


def mask(text: str) -> str:
    for secret in _known_secrets:
        text = text.replace(secret, "***")
    return _SECRET_VALUES.sub("***", text)


def _mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = mask(value)
    return event


def _rename_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event["message"] = event.pop("event", "")
    event.setdefault("service", "casebook")
    if "level" in event:
        event["level"] = str(event["level"]).upper()
    return event


class _CurrentStream:
    """sys.stderr or sys.stdout as it is when a line is written, not when logging was set up
    (test runners and embedding applications swap the standard streams)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        return int(getattr(sys, self.name).write(text))

    def flush(self) -> None:
        getattr(sys, self.name).flush()

    def isatty(self) -> bool:
        return bool(getattr(sys, self.name).isatty())


def configure_logging(settings: Settings, *, service: str = "casebook") -> None:
    stream = _CurrentStream(settings.log_stream)
    if settings.openai_api_key is not None:
        register_secret(settings.openai_api_key.get_secret_value())
    as_json = settings.log_format == "json" or (settings.log_format == "auto" and not stream.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _mask_secrets,
    ]
    renderer: Iterable[Any] = (
        [_rename_event, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if as_json
        else [structlog.dev.ConsoleRenderer(colors=stream.isatty())]
    )
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, settings.log_level)),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, stream)),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    _route_library_logs(settings.log_level)


class _ToStructlog(logging.Handler):
    """Sends a library's stdlib log records (DBOS) through casebook's own log format and stream."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            structlog.get_logger().bind(service=record.name).log(record.levelno, record.getMessage())
        except Exception:  # a log line must never break the run
            self.handleError(record)


def _route_library_logs(level: str) -> None:
    library = logging.getLogger("dbos")
    for handler in list(library.handlers):
        library.removeHandler(handler)
    handler = _ToStructlog()
    handler.name = "__dbos_console_log_handler__"  # the name DBOS looks for when it sets levels
    library.addHandler(handler)
    library.propagate = False
    library.setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def get_logger(**context: Any) -> Any:
    return structlog.get_logger().bind(**context)


def log_metric(logger: Any, name: str, value: float | int | None, unit: str) -> None:
    logger.info(f"metric {name}={value} {unit}", metric_name=name, metric_value=value, metric_unit=unit)
