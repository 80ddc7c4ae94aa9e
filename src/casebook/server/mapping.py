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

For `typeform` and `tally` (their own routes) a value names the question instead, by its
ref (Typeform), key (Tally) or label: `company_name = "Your organisation"`.

A source without a table gets the payload as it is, or its `data` object when the payload is
a Standard Webhooks envelope ({"type", "timestamp", "data"}), read with the original's aliases.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, RootModel

from casebook.errors import ConfigError
from casebook.models import Submission
from casebook.tomlfile import parse_toml

_EXTRA_FIELDS = frozenset({"company_info", "files", "budget_usd"})
_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MISSING = object()
# Names the original's forms and the company-info labels use, beyond the model's own aliases.
_MORE_NAMES = {
    "company_info": ("company_info", "companyInfo", "Company Info", "Company information"),
    "company_description": ("Company description", "Description", "About the company"),
    "readiness_score": ("Overall Readiness score", "Readiness score"),
    "readiness_category": ("Agent-readiness category", "Readiness category"),
    "report_expectations": ("Report expectations", "What do you expect from the report"),
    "budget_usd": ("budget_usd", "Budget USD", "Budget"),
    "model_set": ("model_set", "Model set"),
    "deliver": ("deliver", "Deliver to", "Delivery"),
    "files": ("files", "Files", "Upload documents", "File upload"),
}


def normalise(name: str) -> str:
    """A field name or label for matching: case, spaces and punctuation ignored."""
    return re.sub(r"[^a-z0-9]+", "", name.casefold())


def _names() -> dict[str, str]:
    """Every known name (normalised) of every submission field -> the field's own name."""
    names: dict[str, str] = {}
    for field, info in Submission.model_fields.items():
        names[normalise(field)] = field
        alias = info.validation_alias
        for choice in getattr(alias, "choices", ()):
            if isinstance(choice, str):
                names[normalise(choice)] = field
    for field, more in _MORE_NAMES.items():
        for name in (field, *more):
            names.setdefault(normalise(name), field)
    return names


_FIELD_NAMES = _names()


def canonical_field(name: str) -> str | None:
    """The submission field a form's field name or label stands for, or None."""
    return _FIELD_NAMES.get(normalise(name))


def canonical_data(data: dict[str, Any]) -> dict[str, Any]:
    """Keys renamed to their submission field where known (others kept as they are)."""
    return {canonical_field(k) or k: v for k, v in data.items()}


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


class MappingsFile(RootModel[dict[str, dict[str, str]]]):
    """A webhook mappings file: `[source]` tables of `submission_field = "dotted.path"`."""

    model_config = ConfigDict(strict=True)


class Mappings:
    def __init__(
        self,
        tables: dict[str, dict[str, tuple[str | int, ...]]] | None = None,
        raw: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.tables = tables or {}
        self.raw = raw or {}  # as written: Typeform and Tally tables name a question's ref, key or label

    def names(self, source: str) -> dict[str, str] | None:
        """A provider's table: submission field -> the question's ref, key or label."""
        return self.raw.get(source)

    @classmethod
    def load(cls, file: Path | None) -> Mappings:
        if file is None:
            return cls()
        try:
            text = Path(file).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read CASEBOOK_WEBHOOK_MAPPINGS_FILE {file}: {exc}") from None
        raw = parse_toml(text, MappingsFile, what="webhook mappings file", source=str(file)).root

        def fail(key: str, problem: str) -> ConfigError:
            return ConfigError(f"webhook mappings file {file}: {key}: {problem}")

        tables: dict[str, dict[str, tuple[str | int, ...]]] = {}
        known = _targets()
        for source, table in raw.items():
            if not _SOURCE.match(source):
                raise fail(source, "a source's table is named like a source (a-z, 0-9, -, _)")
            fields: dict[str, tuple[str | int, ...]] = {}
            for target, path in table.items():
                if target not in known:
                    raise fail(f"{source}.{target}", f"not a submission field ({', '.join(sorted(known))})")
                try:
                    fields[target] = parse_path(path)
                except ValueError as exc:
                    raise fail(f"{source}.{target}", str(exc)) from None
            tables[source] = fields
        return cls(tables, raw)

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
