"""casebook's TOML settings files (model sets, prices …): parsed with tomllib, then validated by a
pydantic model. Every error names the file and the field (`mine.default.max_tokens`), in one line."""

from __future__ import annotations

import tomllib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from casebook.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
# pydantic's words where a TOML file's author would use others
_PLAIN = {
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dict_type": "must be a table",
    "extra_forbidden": "unknown key",
    "missing": "is required",
}


def field_name(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the TOML key path: ("sets", "mine", "default") -> mine.default
    for a root model, sections[0].id for an array item."""
    text = ""
    for part in loc:
        if part in ("root", "[key]"):  # a root model's value; a bad key of a table (named before it)
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the whole file)"


def parse_toml(text: str, model: type[M], *, what: str, source: str) -> M:
    """`text` as `model`; ConfigError "<what> <source>: <field>: <problem>" when it is not one."""
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {source}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        problem = _PLAIN.get(error["type"], error["msg"])
        if error["type"] == "value_error":  # our own validators' words, without pydantic's prefix
            problem = str((error.get("ctx") or {}).get("error", problem))
        raise ConfigError(f"{what} {source}: {field_name(error['loc'])}: {problem}{more}") from None
