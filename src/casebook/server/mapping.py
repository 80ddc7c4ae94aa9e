"""Which part of a form provider's payload is which submission field, per webhook source.

The mappings file (CASEBOOK_WEBHOOK_MAPPINGS_FILE) has one table per source; each key is a
submission field and each value a dotted path into the payload (`$.` prefix optional, list
items by number, `answers[0].value` or `answers.0.value`):

    [tally]
    company_name = "data.fields.company"
    company_info = "data.fields.about"
    use_cases_count = "data.fields.use_cases"
    google_drive_link = "data.fields.drive"
    files = "data.files"            # a list of {"name": …, "content_base64": …}

A source without a table gets the payload as it is, or its `data` object when the payload is
a Standard Webhooks envelope ({"type", "timestamp", "data"}), read with the original's aliases.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from casebook.errors import ConfigError
from casebook.models import Submission

_EXTRA_FIELDS = frozenset({"company_info", "files", "budget_usd"})
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MISSING = object()


def _targets() -> frozenset[str]:
    return frozenset(Submission.model_fields) | _EXTRA_FIELDS


def parse_path(path: str) -> tuple[str | int, ...]:
    text = path.strip().removeprefix("$").lstrip(".")
    text = re.sub(r"\[(\d+)\]", r".\1", text)
    if not text or any(not part for part in text.split(".")):
        raise ValueError(f"{path!r} is not a dotted path such as data.fields.company")
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))


def lookup(payload: Any, path: tuple[str | int, ...]) -> Any:
    value = payload
    for part in path:
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        else:
            return _MISSING
    return value


class Mappings:
    def __init__(self, tables: dict[str, dict[str, tuple[str | int, ...]]] | None = None) -> None:
        self.tables = tables or {}

    @classmethod
    def load(cls, file: Path | None) -> Mappings:
        if file is None:
            return cls()
        try:
            raw = tomllib.loads(Path(file).read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read CASEBOOK_WEBHOOK_MAPPINGS_FILE {file}: {exc}") from None
        tables: dict[str, dict[str, tuple[str | int, ...]]] = {}
        known = _targets()
        for source, table in raw.items():
            if not _SOURCE.match(source) or not isinstance(table, dict):
                raise ConfigError(f"{file}: [{source}] must be a table named like a source (a-z, 0-9, -, _)")
            fields: dict[str, tuple[str | int, ...]] = {}
            for target, path in table.items():
                if target not in known:
                    raise ConfigError(
                        f"{file}: [{source}] {target} is not a submission field ({', '.join(sorted(known))})"
                    )
                try:
                    fields[target] = parse_path(str(path))
                except ValueError as exc:
                    raise ConfigError(f"{file}: [{source}] {target}: {exc}") from None
            tables[source] = fields
        return cls(tables)

    def to_submission_data(self, source: str, payload: Any) -> dict[str, Any]:
        """The submission fields a payload gives, by the source's mapping or else by the aliases."""
        table = self.tables.get(source)
        if table is None:
            if isinstance(payload, dict) and isinstance(payload.get("data"), dict) and "type" in payload:
                return dict(payload["data"])
            return dict(payload) if isinstance(payload, dict) else {}
        data: dict[str, Any] = {}
        for target, path in table.items():
            value = lookup(payload, path)
            if value is not _MISSING and value is not None:
                data[target] = value
        return data
