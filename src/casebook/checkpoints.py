"""What the workflow engine records, as JSON: never pickle.

The engine stores a run's inputs (company slug, run id), each step's result (its figures and
usage, `casebook.runs.pipeline.run_step`), progress events and each attempt's outcome: all plain
JSON values. Errors are stored as data and read back as casebook's own classes (looked up by
name in `casebook.errors`, never imported from a stored name): an error of a class of its own
(e.g. an LLMError subclass) comes back as its nearest class in `casebook.errors`, anything else
as `RecordedError`, whose message keeps the original type's name. `casebook.engine` hands these
to the engine as its serializer.
"""

from __future__ import annotations

import json
from typing import Any

from casebook import errors
from casebook.errors import CasebookError, RecordedError

ERROR = "__casebook_error__"  # the one key of a stored error


def dumps(value: Any) -> str:
    """JSON text of a value (TypeError for one that is not plain JSON: nothing is guessed)."""
    if isinstance(value, BaseException):
        value = {ERROR: error_record(value)}
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    value = json.loads(text)
    if isinstance(value, dict) and set(value) == {ERROR}:
        return error_from(value[ERROR])
    return value


def error_record(exc: BaseException) -> dict[str, Any]:
    """An error as data: its type's name, message, casebook classes (nearest first) and those of
    its attributes that are plain JSON (`transient`, `attempts`, `reason`, `field` …)."""
    known = [cls.__name__ for cls in type(exc).__mro__ if _casebook_class(cls.__name__) is cls]
    attributes = {}
    for name, value in vars(exc).items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        attributes[name] = value
    return {"type": type(exc).__name__, "message": str(exc), "classes": known, "attributes": attributes}


def error_from(record: dict[str, Any]) -> Exception:
    message = str(record.get("message") or "")
    for name in record.get("classes") or ():
        cls = _casebook_class(str(name))
        if cls is not None:
            exc = cls.__new__(cls)
            Exception.__init__(exc, message)
            for key, value in (record.get("attributes") or {}).items():
                setattr(exc, str(key), value)
            return exc
    kind = str(record.get("type") or "Exception")
    return RecordedError(f"{kind}: {message}" if message else kind)


def _casebook_class(name: str) -> type[CasebookError] | None:
    cls = getattr(errors, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, CasebookError) else None
