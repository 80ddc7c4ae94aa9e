"""Model sets: which model, token limit and temperature each LLM step uses.

The built-in sets live in `model_sets.toml` beside this module; a user's file
(CASEBOOK_MODEL_SETS_FILE) is merged over them, step by step.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    field_validator,
    model_validator,
)

from casebook.errors import ConfigError
from casebook.tomlfile import parse_toml

# `verify` answers the model check of doubtful citations (CASEBOOK_VERIFY=model): a cheap model.
STEPS: tuple[str, ...] = ("evidence", "use_cases", "part_a", "part_b", "consolidate", "style", "verify")
OPTIONAL_STEPS: frozenset[str] = frozenset({"style", "verify"})
_DEFAULT_MAX_TOKENS = 4096
_DEFAULT_TEMPERATURE = 0.2
BUILTIN_FILE = "model_sets.toml"


@dataclass(frozen=True)
class StepModel:
    model: str
    max_tokens: int
    temperature: float
    set_name: str = field(default="", compare=False)  # where it came from, for error messages
    # sent when set: a small model that loops on its own sentences repeats itself less
    frequency_penalty: float | None = None


@dataclass(frozen=True)
class ModelSet:
    name: str
    steps: Mapping[str, StepModel]
    description: str = ""
    disabled: frozenset[str] = field(default_factory=frozenset)
    use_cases_per_call: int | None = None  # 1: one use case per call; None: all in one call
    # "passages": the evidence is the passages' own sentences, picked by the pipeline (no call)
    evidence_from: str = "model"
    # "use_cases": each Part B section is the use case's own fields under the section's headings (no call)
    part_b_from: str = "model"
    # characters a prose field may hold: Part A, the summary and revisions asked as capped JSON
    prose_chars: int | None = None
    # "use_cases": the executive summary and recommendations are the pipeline's, from the use cases
    summary_from: str = "model"
    # "playbook": a use case written on its own takes its scores, horizon, KPIs, data and risks
    # from the pipeline's playbook (casebook.steps.playbook); the model writes the rest
    use_case_details: str = "model"
    # "evidence": Part A is the pipeline's, from the evidence's cited facts (no call)
    part_a_from: str = "model"

    def has_step(self, step: str) -> bool:
        """False for a step the set switches off (e.g. `style = false`: no style pass)."""
        return step not in self.disabled and (step in self.steps or "default" in self.steps)

    def for_step(self, step: str) -> StepModel:
        if step in self.disabled:
            raise ConfigError(
                f"model set {self.name!r} has no {step!r} step (it is switched off): "
                f"check ModelSet.has_step({step!r}) before calling it"
            )
        found = self.steps.get(step) or self.steps.get("default")
        if found is None:
            raise ConfigError(
                f"model set {self.name!r} names no model for step {step!r} and has no "
                "'default' entry: add one to the model sets file"
            )
        return found

    def models(self) -> set[str]:
        """Every model name the set uses."""
        return {entry.model for entry in self.steps.values()}


# ----------------------------------------------------------------------------- loading

_Raw = dict[str, dict[str, Any]]  # set name -> key -> raw value (table, str, False or description)


_Positive = Annotated[int, Field(gt=0)]
_Temperature = Annotated[float, Field(ge=0, le=2)]
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Entry(BaseModel):
    """One step's model: `{ model = "...", max_tokens = N, temperature = T }`, any part left out
    coming from the set's `default`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    model: _Name | None = None
    max_tokens: _Positive | None = None
    temperature: _Temperature | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None


class _Set(BaseModel):
    """A model set: a description, a `default` entry and one entry per step; a bare string is a
    model name, and `false` switches an optional step off."""

    model_config = ConfigDict(extra="forbid", strict=True)
    description: str | None = None
    # 1: the use cases are written one per call (small models stay coherent); left out: all in one
    use_cases_per_call: Literal[1] | None = None
    # "passages": the pipeline picks the evidence from the passages' own sentences, no model call
    # (a small model paraphrases and misattributes); left out or "model": the evidence step asks
    evidence_from: Literal["model", "passages"] | None = None
    # "use_cases": each Part B section is set from its use case's fields, no model call (a small
    # model's section restates them at length, cut at its token limit, with citations it guessed)
    part_b_from: Literal["model", "use_cases"] | None = None
    # N: Part A, the executive summary and revisions are asked as JSON with each prose field capped
    # at N characters (a small model's Markdown answer ran past every token limit; see steps/capped.py)
    prose_chars: Annotated[int, Field(ge=200, le=20000)] | None = None
    # "use_cases": the executive summary and recommendations are written by the pipeline from the
    # use cases' cited problems, no call (a 0.5B model's copied the intake form and its own prompt)
    summary_from: Literal["model", "use_cases"] | None = None
    # "playbook" (with use_cases_per_call = 1): the model writes a use case's title and solution;
    # the pipeline its scores (with their reasons), horizon, expected impact, KPIs, data and risks
    # (a 0.5B model scored seven of seven 5/1/5 and wrote "5, effort 1, impact 5." as an impact)
    use_case_details: Literal["model", "playbook"] | None = None
    # "evidence": Part A's sections are written by the pipeline from the evidence's cited facts, no
    # call (a 0.5B model's copied the intake form, and asked again, the words that rejected it)
    part_a_from: Literal["model", "evidence"] | None = None
    default: _Entry | None = None
    evidence: _Entry | None = None
    use_cases: _Entry | None = None
    part_a: _Entry | None = None
    part_b: _Entry | None = None
    consolidate: _Entry | None = None
    style: _Entry | None = None
    verify: _Entry | None = None
    off: frozenset[str] = frozenset()  # the steps switched off (`style = false`)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "off" in data:  # the field below, not a key of the file
            raise ValueError("unknown key off (a step is switched off with `style = false`)")
        off = [key for key in OPTIONAL_STEPS if data.get(key) is False]
        for key in off:
            del data[key]
        for key in ("default", *STEPS):
            if isinstance(data.get(key), str):
                data[key] = {"model": data[key]}
        return {**data, "off": frozenset(off)}

    @field_validator("default", *STEPS, mode="before")
    @classmethod
    def _only_optional_steps_switch_off(cls, value: Any) -> Any:
        if value is False:
            raise ValueError(f"only {', '.join(sorted(OPTIONAL_STEPS))} may be switched off (= false)")
        return value

    def raw(self) -> dict[str, Any]:
        entries: dict[str, Any] = {} if self.description is None else {"description": self.description}
        if self.use_cases_per_call is not None:
            entries["use_cases_per_call"] = self.use_cases_per_call
        if self.evidence_from is not None:
            entries["evidence_from"] = self.evidence_from
        if self.part_b_from is not None:
            entries["part_b_from"] = self.part_b_from
        if self.prose_chars is not None:
            entries["prose_chars"] = self.prose_chars
        if self.summary_from is not None:
            entries["summary_from"] = self.summary_from
        if self.use_case_details is not None:
            entries["use_case_details"] = self.use_case_details
        if self.part_a_from is not None:
            entries["part_a_from"] = self.part_a_from
        for key in ("default", *STEPS):
            entry = getattr(self, key)
            if entry is not None:
                entries[key] = entry.model_dump(exclude_none=True)
        entries.update(dict.fromkeys(sorted(self.off), False))
        return entries


class ModelSetsFile(RootModel[dict[str, _Set]]):
    """A model sets file: `[name]` tables of steps (see model_sets.toml)."""


def _parse(text: str, source: str) -> _Raw:
    sets = parse_toml(text, ModelSetsFile, what="model sets file", source=source).root
    return {name: body.raw() for name, body in sets.items()}


def _merge(base: _Raw, over: _Raw) -> _Raw:
    merged = {name: dict(entries) for name, entries in base.items()}
    for name, entries in over.items():
        target = merged.setdefault(name, {})
        for key, value in entries.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                target[key] = {**target[key], **value}
            else:
                target[key] = value
    return merged


def _resolve(name: str, entries: Mapping[str, Any], source: str) -> ModelSet:
    default = entries.get("default")
    if default is not None and "model" not in default:
        raise ConfigError(f"model sets file {source}: {name}.default needs a model")
    base = {
        "max_tokens": _DEFAULT_MAX_TOKENS,
        "temperature": _DEFAULT_TEMPERATURE,
        **(default or {}),
    }
    steps: dict[str, StepModel] = {}
    disabled: set[str] = set()
    for step in ("default", *STEPS):
        raw = entries.get(step)
        if raw is False:
            disabled.add(step)
            continue
        if raw is None and step != "default":
            raw = {}
        if raw is None:
            continue
        values = {**base, **raw}
        if "model" not in values:
            raise ConfigError(
                f"model sets file {source}: {name}.{step} names no model and the set has no "
                f"default: add {name}.default or {name}.{step}.model"
            )
        steps[step] = StepModel(
            model=values["model"].strip(),
            max_tokens=int(values["max_tokens"]),
            temperature=float(values["temperature"]),
            set_name=name,
            frequency_penalty=None if values.get("frequency_penalty") is None else float(values["frequency_penalty"]),
        )
    return ModelSet(
        name=name,
        steps=MappingProxyType(steps),
        description=str(entries.get("description", "")),
        disabled=frozenset(disabled),
        use_cases_per_call=entries.get("use_cases_per_call"),
        evidence_from=entries.get("evidence_from") or "model",
        part_b_from=entries.get("part_b_from") or "model",
        prose_chars=entries.get("prose_chars"),
        summary_from=entries.get("summary_from") or "model",
        use_case_details=entries.get("use_case_details") or "model",
        part_a_from=entries.get("part_a_from") or "model",
    )


def load_model_sets(extra_file: Path | None = None) -> dict[str, ModelSet]:
    """The built-in sets, with `extra_file`'s sets merged over them (step by step).

    Parsed once per process and file version (every run and every API submission asks).
    """
    if extra_file is None:
        return dict(_load_cached(None, 0))
    path = Path(extra_file).expanduser()
    try:
        version = path.stat().st_mtime_ns
    except OSError:
        version = -1  # unreadable: _load_model_sets says why
    return dict(_load_cached(str(path), version))


@functools.lru_cache(maxsize=8)
def _load_cached(extra_file: str | None, version: int) -> dict[str, ModelSet]:
    return _load_model_sets(Path(extra_file) if extra_file else None)


def _load_model_sets(extra_file: Path | None) -> dict[str, ModelSet]:
    builtin_text = resources.files("casebook.llm").joinpath(BUILTIN_FILE).read_text("utf-8")
    raw = _parse(builtin_text, f"(built-in) {BUILTIN_FILE}")
    sources = dict.fromkeys(raw, f"(built-in) {BUILTIN_FILE}")
    if extra_file is not None:
        path = Path(extra_file).expanduser()
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(
                f"model sets file {path}: cannot be read ({exc.strerror or exc}): check CASEBOOK_MODEL_SETS_FILE"
            ) from None
        extra = _parse(text, str(path))
        raw = _merge(raw, extra)
        sources.update(dict.fromkeys(extra, str(path)))
    return {name: _resolve(name, entries, sources[name]) for name, entries in raw.items()}


def get_model_set(name: str, extra_file: Path | None = None) -> ModelSet:
    sets = load_model_sets(extra_file)
    try:
        return sets[name]
    except KeyError:
        raise ConfigError(
            f"unknown model set {name!r}: known sets are {', '.join(sorted(sets))} "
            "(add your own in CASEBOOK_MODEL_SETS_FILE)"
        ) from None
