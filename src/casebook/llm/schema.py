"""JSON schemas for structured answers, and reading JSON out of a model's answer."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pydantic

# Keywords OpenAI's strict mode does not accept; their meaning moves into the description
# (pydantic still enforces them when the answer is validated).
_MOVED_TO_DESCRIPTION = {
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
}
_DROPPED = ("default", "examples")
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.S)
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def schema_name(model: type[pydantic.BaseModel]) -> str:
    return _NAME_CHARS.sub("_", model.__name__)[:64] or "answer"


def strict_json_schema(model: type[pydantic.BaseModel], *, keep_lengths: bool = False) -> dict[str, Any]:
    """`model`'s JSON schema made acceptable to strict structured outputs: every object
    closed (additionalProperties false) with all its properties required; `$defs` kept.

    `keep_lengths` keeps minLength/maxLength in the schema (llama.cpp's grammar enforces them,
    which stops a small model's runaway strings); otherwise they move into the description.
    """
    schema = copy.deepcopy(model.model_json_schema())
    return _strict(schema, root=schema, keep_lengths=keep_lengths)


def _strict(node: Any, *, root: dict[str, Any], keep_lengths: bool = False) -> Any:
    if isinstance(node, list):
        return [_strict(item, root=root, keep_lengths=keep_lengths) for item in node]
    if not isinstance(node, dict):
        return node
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            node[key] = {name: _strict(sub, root=root, keep_lengths=keep_lengths) for name, sub in node[key].items()}
    if "$ref" in node and len(node) > 1:
        # strict mode allows no siblings beside $ref: inline the target
        target = _resolve(root, node.pop("$ref"))
        node = {**copy.deepcopy(target), **node}
    if isinstance(node.get("properties"), dict):
        node["properties"] = {
            name: _strict(sub, root=root, keep_lengths=keep_lengths) for name, sub in node["properties"].items()
        }
        node["required"] = list(node["properties"])
    if node.get("type") == "object" or "properties" in node:
        node.setdefault("additionalProperties", False)
    if isinstance(node.get("items"), dict):
        node["items"] = _strict(node["items"], root=root, keep_lengths=keep_lengths)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if isinstance(node.get(key), list):
            node[key] = [_strict(sub, root=root, keep_lengths=keep_lengths) for sub in node[key]]
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        only = node.pop("allOf")[0]
        node = {**only, **node}
    moved = {} if keep_lengths else _MOVED_TO_DESCRIPTION
    notes = [text.format(node.pop(key)) for key, text in moved.items() if key in node]
    if notes:
        description = str(node.get("description", "")).strip()
        node["description"] = f"{description} ({'; '.join(notes)})".strip()
    for key in _DROPPED:
        node.pop(key, None)
    return node


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    if not isinstance(node, dict):
        raise ValueError(f"$ref {ref!r} does not point to a schema")
    return node


def extract_json(text: str) -> Any:
    """Parse a JSON answer, tolerating ```json fences and prose around one object."""
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if 0 <= start < end and (start > 0 or end < len(stripped) - 1):
            try:
                return json.loads(stripped[start : end + 1])
            except json.JSONDecodeError:
                pass
        raise


def short_reason(exc: Exception, limit: int = 300) -> str:
    """A one-line account of why an answer was rejected."""
    if isinstance(exc, pydantic.ValidationError):
        parts = []
        for error in exc.errors()[:3]:
            where = ".".join(str(p) for p in error.get("loc", ())) or "(root)"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        more = exc.error_count() - len(parts)
        reason = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    elif isinstance(exc, json.JSONDecodeError):
        reason = f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    else:
        reason = str(exc)
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
