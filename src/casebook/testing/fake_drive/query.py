"""Drive's request parameters FakeDrive understands: `fields=` selections and `q=` queries."""

from __future__ import annotations

import re
from typing import Any

from casebook.testing.fake_drive.state import DriveHTTPError, FakeFile

# -- fields=... selection -------------------------------------------------------------------


def _parse_fields(text: str) -> dict[str, Any]:
    """`nextPageToken, files(id,name,shortcutDetails/targetId)` -> a selection tree."""
    tree: dict[str, Any] = {}
    stack = [tree]
    token = ""

    def flush() -> None:
        nonlocal token
        name = token.strip()
        token = ""
        if not name:
            return
        node = stack[-1]
        parts = name.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(parts[-1], None)

    for ch in text:
        if ch == ",":
            flush()
        elif ch == "(":
            name = token.strip()
            token = ""
            node = stack[-1]
            parts = name.split("/")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            child = node.get(parts[-1]) or {}
            node[parts[-1]] = child
            stack.append(child)
        elif ch == ")":
            flush()
            if len(stack) == 1:
                raise DriveHTTPError(400, "invalidParameter", f"Invalid field selection {text}")
            stack.pop()
        else:
            token += ch
    flush()
    if len(stack) != 1:
        raise DriveHTTPError(400, "invalidParameter", f"Invalid field selection {text}")
    return tree


def _select(value: Any, tree: dict[str, Any] | None) -> Any:
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [_select(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: _select(value[k], sub) for k, sub in tree.items() if k in value}


# -- q=... ------------------------------------------------------------------------------------

_STR = r"'((?:[^'\\]|\\.)*)'"
_CLAUSES: list[tuple[str, re.Pattern[str]]] = [
    ("parent", re.compile(_STR + r"\s+in\s+parents", re.I)),
    ("trashed", re.compile(r"trashed\s*(=|!=)\s*(true|false)", re.I)),
    ("field", re.compile(r"(mimeType|name)\s*(=|!=|contains)\s*" + _STR)),
    (
        "app",
        re.compile(
            r"appProperties\s+has\s*\{\s*key\s*=\s*"
            + _STR
            + r"\s+and\s+value\s*=\s*"
            + _STR
            + r"\s*\}"
        ),
    ),
]


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_query(q: str) -> list[tuple[str, tuple[str, ...]]]:
    """The subset of Drive's query language casebook uses, joined with `and`."""
    clauses: list[tuple[str, tuple[str, ...]]] = []
    rest = q.strip()
    while rest:
        for kind, pattern in _CLAUSES:
            match = pattern.match(rest)
            if match:
                clauses.append((kind, match.groups()))
                rest = rest[match.end() :].strip()
                break
        else:
            raise DriveHTTPError(400, "invalid", f"Invalid Value: q near {rest[:40]!r}")
        if rest:
            joined = re.match(r"and\s+", rest, re.I)
            if not joined:
                raise DriveHTTPError(400, "invalid", f"Invalid Value: q near {rest[:40]!r}")
            rest = rest[joined.end() :]
    return clauses


def _matches(item: FakeFile, clauses: list[tuple[str, tuple[str, ...]]]) -> bool:
    for kind, groups in clauses:
        if kind == "parent" and _unquote(groups[0]) not in item.parents:
            return False
        if kind == "trashed" and (item.trashed == (groups[1].lower() == "true")) != (
            groups[0] == "="
        ):
            return False
        if kind == "field":
            name, op, value = groups[0], groups[1], _unquote(groups[2])
            actual = item.mimeType if name == "mimeType" else item.name
            ok = value in actual if op == "contains" else actual == value
            if ok != (op != "!="):
                return False
        if kind == "app" and item.appProperties.get(_unquote(groups[0])) != _unquote(groups[1]):
            return False
    return True
