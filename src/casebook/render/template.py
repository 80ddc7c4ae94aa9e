"""Report templates: the sections (order and headings), labels, language and tone of a report.

A template is a TOML file (see `casebook/templates/default.toml`). Labels and horizons a
template leaves out fall back to the built-in English default; unknown keys are errors, so a
typo never silently drops a heading.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from casebook.errors import ConfigError

SECTION_IDS = (
    "executive_summary",
    "readiness",
    "portfolio",
    "part_a",
    "part_b",
    "roadmap",
    "sources",
)
HORIZONS = ("0-6 months", "6-12 months", "12-24 months")
_TOP_KEYS = {"name", "language", "tone", "sections", "labels", "horizons"}
_BUILTIN = "default.toml"


@dataclass(frozen=True)
class Section:
    id: str
    heading: str


@dataclass(frozen=True)
class ReportTemplate:
    """What a report looks like; the generation steps append `tone` to their system prompts."""

    name: str
    language: str
    sections: tuple[Section, ...]
    labels: Mapping[str, str]
    horizons: Mapping[str, str]
    tone: str = ""
    source: str = field(default="<built-in>", compare=False)

    def heading(self, section_id: str) -> str | None:
        return next((s.heading for s in self.sections if s.id == section_id), None)

    def label(self, key: str, **values: str) -> str:
        text = self.labels[key]
        return text.format(**values) if values else text

    def horizon(self, horizon: str) -> str:
        return self.horizons.get(horizon, horizon)


def load_template(path: Path | None = None) -> ReportTemplate:
    """The template in `path`, or the built-in English default. A bad file raises ConfigError."""
    if path is None:
        return _builtin()
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"report template {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"report template {path}: cannot read it ({exc})") from None
    return parse_template(text, str(path))


def parse_template(text: str, where: str) -> ReportTemplate:
    """A template from TOML text; `where` names it in errors (a path, or a run's copy)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"report template {where}: not valid TOML ({exc})") from None
    return _parse(data, where, _builtin())


def builtin_template(name: str) -> ReportTemplate:
    """A template shipped with casebook by name, e.g. "de"."""
    file = resources.files("casebook.templates").joinpath(f"{name}.toml")
    if not file.is_file():
        raise ConfigError(f"no built-in report template {name!r}")
    with resources.as_file(file) as path:
        return load_template(path)


@cache
def _builtin() -> ReportTemplate:
    text = resources.files("casebook.templates").joinpath(_BUILTIN).read_text("utf-8")
    return _parse(tomllib.loads(text), f"casebook/templates/{_BUILTIN}", None)


def _parse(data: dict[str, Any], where: str, default: ReportTemplate | None) -> ReportTemplate:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"report template {where}: {key}: {problem}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    name = _string(data, "name", fail, default.name if default else None)
    language = _string(data, "language", fail, default.language if default else None)
    tone = _string(data, "tone", fail, default.tone if default else "")
    sections = (
        _sections(data.get("sections"), fail) if "sections" in data or default is None else None
    )
    labels = _table(data, "labels", fail, default.labels if default else None)
    horizons = _table(data, "horizons", fail, default.horizons if default else None)
    bad = sorted(set(horizons) - set(HORIZONS))
    if bad:
        raise fail(f"horizons.{bad[0]}", f"unknown horizon (known: {', '.join(HORIZONS)})")
    try:
        labels["title"].format(company="x")
    except (KeyError, IndexError, ValueError):
        raise fail("labels.title", "may use only the placeholder {company}") from None
    return ReportTemplate(
        name=name,
        language=language,
        sections=sections if sections is not None else default.sections if default else (),
        labels=MappingProxyType(labels),
        horizons=MappingProxyType(horizons),
        tone=tone,
        source=where,
    )


def _string(data: dict[str, Any], key: str, fail: Any, fallback: str | None) -> str:
    value = data.get(key, fallback)
    if not isinstance(value, str) or (key != "tone" and not value.strip()):
        raise fail(key, "must be a non-empty string" if key in data else "is required")
    return value.strip()


def _sections(value: Any, fail: Any) -> tuple[Section, ...]:
    if not isinstance(value, list) or not value:
        raise fail(
            "sections", "must be a non-empty array of tables ([[sections]] with id and heading)"
        )
    seen: list[Section] = []
    for i, item in enumerate(value):
        key = f"sections[{i}]"
        if not isinstance(item, dict):
            raise fail(key, "must be a table with id and heading")
        extra = sorted(set(item) - {"id", "heading"})
        if extra:
            raise fail(f"{key}.{extra[0]}", "unknown key (known: id, heading)")
        section_id, heading = item.get("id"), item.get("heading")
        if section_id not in SECTION_IDS:
            raise fail(f"{key}.id", f"must be one of {', '.join(SECTION_IDS)} (got {section_id!r})")
        if any(s.id == section_id for s in seen):
            raise fail(f"{key}.id", f"section {section_id!r} appears twice")
        if not isinstance(heading, str) or not heading.strip() or "\n" in heading:
            raise fail(f"{key}.heading", "must be a non-empty one-line string")
        seen.append(Section(section_id, heading.strip()))
    if not any(s.id == "sources" for s in seen):
        raise fail("sections", "must include the 'sources' section: citations point into it")
    return tuple(seen)


def _table(
    data: dict[str, Any], key: str, fail: Any, fallback: Mapping[str, str] | None
) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise fail(key, "must be a table of strings")
    merged = dict(fallback or {})
    for name, text in value.items():
        if fallback is not None and name not in fallback:
            raise fail(f"{key}.{name}", f"unknown key (known: {', '.join(sorted(fallback))})")
        if not isinstance(text, str):
            raise fail(f"{key}.{name}", "must be a string")
        merged[name] = text
    return merged
