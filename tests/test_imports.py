"""The import structure: DBOS only in the engine, and no module that imports another that
imports it back.

Only imports that run when a module is loaded count: those at module level, in classes, and in
`try`/`if` blocks at module level. Imports inside functions run when the function is called,
after every module has loaded, so they cannot leave a module half-initialised; casebook uses them
to keep heavy or optional parts (WeasyPrint, the server stack, the engine itself) out of a
command's start-up, and they are left out here. Imports under `if TYPE_CHECKING:` never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import casebook

SRC = Path(casebook.__file__).parent.parent
# The modules allowed to import DBOS: those of the engine, the one package that knows the workflow engine.
DBOS_MODULES = {
    "casebook.engine.attempts",
    "casebook.engine.client",
    "casebook.engine.database",
    "casebook.engine.processes",
    "casebook.engine.state",
    "casebook.engine.workflow",
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _loaded(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module loads."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        for child in node.orelse:
            yield from _loaded(child)
        return
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _loaded(child)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the tree under `root`: the modules it imports at load time (those of the
    tree by name, any other by its top-level package)."""
    paths = {module_name(root, p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in _loaded(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: from the package, up level - 1
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                if target in paths:
                    found.add(target)
                elif target and target.split(".")[0] not in {n.split(".")[0] for n in paths}:
                    found.add(target.split(".")[0])
        found.discard(name)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in graph:
                continue
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_dbos_is_imported_only_by_the_engine() -> None:
    graph = import_graph(SRC)
    assert "casebook.engine" in graph and "casebook.server.app" in graph  # the tree was read
    importers = {name for name, imported in graph.items() if "dbos" in imported}
    assert importers == DBOS_MODULES


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(import_graph(SRC)) == []


def test_the_check_sees_a_cycle_and_a_dbos_import(tmp_path: Path) -> None:
    """The two checks above on a small tree that breaks both rules: they would fail."""
    pkg = tmp_path / "app"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from app.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from ..c import thing\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nimport app.a\nif TYPE_CHECKING:\n    import app.d\n"
        "def later():\n    import app.d\nthing = 1\n"
    )
    (pkg / "d.py").write_text("from dbos import DBOS\nimport app.c\n")
    graph = import_graph(tmp_path)
    assert graph["app.c"] == {"app.a", "typing"}  # neither the TYPE_CHECKING nor the lazy import
    assert {name for name, imported in graph.items() if "dbos" in imported} == {"app.d"}
    assert cycles(graph) == [["app.a", "app.c", "app.sub.b"]]
