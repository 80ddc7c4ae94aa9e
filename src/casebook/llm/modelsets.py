"""Model sets: which model, token limit and temperature each LLM step uses.

The built-in sets live in `model_sets.toml` beside this module; a user's file
(CASEBOOK_MODEL_SETS_FILE) is merged over them, step by step.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from casebook.errors import ConfigError

# `verify` answers the model check of doubtful citations (CASEBOOK_VERIFY=model): a cheap model.
STEPS: tuple[str, ...] = ("evidence", "use_cases", "part_a", "part_b", "consolidate", "style", "verify")
OPTIONAL_STEPS: frozenset[str] = frozenset({"style", "verify"})
_ENTRY_KEYS = ("model", "max_tokens", "temperature")
_SET_KEYS = ("description", "default", *STEPS)
_DEFAULT_MAX_TOKENS = 4096
_DEFAULT_TEMPERATURE = 0.2
BUILTIN_FILE = "model_sets.toml"


@dataclass(frozen=True)
class StepModel:
    model: str
    max_tokens: int
    temperature: float
    set_name: str = field(default="", compare=False)  # where it came from, for error messages


@dataclass(frozen=True)
class ModelSet:
    name: str
    steps: Mapping[str, StepModel]
    description: str = ""
    disabled: frozenset[str] = field(default_factory=frozenset)

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


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"model sets file {source}: not valid TOML: {exc}") from None


def _check_entry(value: Any, *, source: str, where: str, step: str) -> Any:
    if value is False:
        if step not in OPTIONAL_STEPS:
            raise ConfigError(
                f"model sets file {source}: {where} = false, but only "
                f"{', '.join(sorted(OPTIONAL_STEPS))} may be switched off"
            )
        return False
    if isinstance(value, str):
        value = {"model": value}
    if not isinstance(value, dict):
        raise ConfigError(
            f"model sets file {source}: {where} must be a table "
            '{ model = "...", max_tokens = N, temperature = T } or a model name'
        )
    for key in value:
        if key not in _ENTRY_KEYS:
            raise ConfigError(
                f"model sets file {source}: unknown key {where}.{key} "
                f"(expected {', '.join(_ENTRY_KEYS)})"
            )
    model = value.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise ConfigError(f"model sets file {source}: {where}.model must be a non-empty string")
    max_tokens = value.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens <= 0
    ):
        raise ConfigError(
            f"model sets file {source}: {where}.max_tokens must be a positive integer"
        )
    temperature = value.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not 0 <= temperature <= 2
    ):
        raise ConfigError(
            f"model sets file {source}: {where}.temperature must be a number from 0 to 2"
        )
    return dict(value)


def _parse(data: Mapping[str, Any], source: str) -> _Raw:
    parsed: _Raw = {}
    for set_name, body in data.items():
        if not isinstance(body, dict):
            raise ConfigError(
                f"model sets file {source}: {set_name} must be a table ([{set_name}]) of steps"
            )
        entries: dict[str, Any] = {}
        for key, value in body.items():
            where = f"{set_name}.{key}"
            if key not in _SET_KEYS:
                raise ConfigError(
                    f"model sets file {source}: unknown key {where} "
                    f"(expected {', '.join(_SET_KEYS)})"
                )
            if key == "description":
                if not isinstance(value, str):
                    raise ConfigError(f"model sets file {source}: {where} must be a string")
                entries[key] = value
            else:
                entries[key] = _check_entry(value, source=source, where=where, step=key)
        parsed[set_name] = entries
    return parsed


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
        )
    return ModelSet(
        name=name,
        steps=MappingProxyType(steps),
        description=str(entries.get("description", "")),
        disabled=frozenset(disabled),
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
    raw = _parse(
        _read_toml(builtin_text, f"(built-in) {BUILTIN_FILE}"), f"(built-in) {BUILTIN_FILE}"
    )
    sources = dict.fromkeys(raw, f"(built-in) {BUILTIN_FILE}")
    if extra_file is not None:
        path = Path(extra_file).expanduser()
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(
                f"model sets file {path}: cannot be read ({exc.strerror or exc}): "
                "check CASEBOOK_MODEL_SETS_FILE"
            ) from None
        extra = _parse(_read_toml(text, str(path)), str(path))
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
