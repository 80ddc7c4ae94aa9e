"""Report templates: the sections (order and headings), labels, language and tone of a report.

A template is a TOML file (see `casebook/templates/default.toml`). Labels and horizons a
template leaves out fall back to the built-in English default; unknown keys are errors, so a
typo never silently drops a heading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from casebook.errors import ConfigError
from casebook.roadmap import HORIZONS
from casebook.tomlfile import parse_toml

SECTION_IDS = (
    "executive_summary",
    "readiness",
    "portfolio",
    "part_a",
    "part_b",
    "roadmap",
    "sources",
)
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
    return _parse(parse_toml(text, TemplateFile, what="report template", source=where), where, _builtin())


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
    where = f"casebook/templates/{_BUILTIN}"
    return _parse(parse_toml(text, TemplateFile, what="report template", source=where), where, None)


_OneLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^\n]*$")]


class _SectionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: Literal[SECTION_IDS]  # type: ignore[valid-type]  # the tuple above, as a Literal
    heading: _OneLine


class TemplateFile(BaseModel):
    """A report template file (see casebook/templates/default.toml). What it leaves out comes from
    the built-in default; the labels it may set are the default's."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    language: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = None
    tone: Annotated[str, StringConstraints(strip_whitespace=True)] | None = None
    sections: Annotated[list[_SectionEntry], Field(min_length=1)] | None = None
    labels: dict[str, str] = {}
    horizons: dict[Literal[HORIZONS], str] = {}  # type: ignore[valid-type]

    @field_validator("sections")
    @classmethod
    def _sections_once_with_sources(cls, sections: list[_SectionEntry] | None) -> list[_SectionEntry] | None:
        if sections is None:
            return None
        seen: set[str] = set()
        for i, section in enumerate(sections):
            if section.id in seen:
                raise ValueError(f"sections[{i}].id: section {section.id!r} appears twice")
            seen.add(section.id)
        if "sources" not in seen:
            raise ValueError("must include the 'sources' section: citations point into it")
        return sections


def _parse(file: TemplateFile, where: str, default: ReportTemplate | None) -> ReportTemplate:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"report template {where}: {key}: {problem}")

    name = file.name or (default.name if default else None)
    language = file.language or (default.language if default else None)
    if name is None or language is None:
        raise fail("name" if name is None else "language", "is required")
    if default is not None:
        unknown = sorted(set(file.labels) - set(default.labels))
        if unknown:
            raise fail(f"labels.{unknown[0]}", f"unknown key (known: {', '.join(sorted(default.labels))})")
    labels = {**(default.labels if default else {}), **file.labels}
    horizons = {**(default.horizons if default else {}), **file.horizons}
    try:
        labels["title"].format(company="x")
    except (KeyError, IndexError, ValueError):
        raise fail("labels.title", "may use only the placeholder {company}") from None
    if file.sections is not None:
        sections = tuple(Section(s.id, s.heading) for s in file.sections)
    elif default is not None:
        sections = default.sections
    else:
        raise fail("sections", "is required")
    return ReportTemplate(
        name=name,
        language=language,
        sections=sections,
        labels=MappingProxyType(labels),
        horizons=MappingProxyType(horizons),
        tone=file.tone if file.tone is not None else (default.tone if default else ""),
        source=where,
    )
