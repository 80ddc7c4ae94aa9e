"""`pip install casebook` with no extras runs the main job: the core modules import no optional
part at module level, and `casebook run` against an OpenAI-compatible endpoint writes the
Markdown report with a one-line note naming the extra that HTML, PDF and Word need; `casebook
serve` and `casebook render` say which extra to install instead of failing with a traceback.

The commands run in a child process in which every extra's modules are absent: an import hook
raises ModuleNotFoundError for them, exactly as an interpreter without them installed would.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from casebook.extras import EXTRAS, install_command
from casebook.testing.openai_server import FakeOpenAIServer
from tests.factories import write_docs

SRC = Path(__file__).resolve().parents[1] / "src" / "casebook"
# Packages that are the optional parts themselves: the server extra's API and web app, and the
# test support (the dev extra). Everything else is core and must import without any extra.
OPTIONAL_PACKAGES = ("casebook.server", "casebook.web", "casebook.testing")
EXTRA_MODULES = sorted({module.split(".")[0] for modules in EXTRAS.values() for module in modules})

WITHOUT_EXTRAS = """
import importlib.abc, os, sys

# in this process and in the ingest's reading processes (which import this file as __mp_main__)
BLOCKED = frozenset(os.environ["ABSENT_MODULES"].split(","))


class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Absent())

if __name__ == "__main__":
    sys.argv = ["casebook", *sys.argv[1:]]
    from casebook.cli import main

    main()
"""


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(tree: ast.Module, package: str) -> list[str]:
    """What a module imports when it is imported: not inside functions, not under TYPE_CHECKING."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_core_modules_import_no_extra_at_module_level() -> None:
    offenders = []
    checked = 0
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        if name.startswith(OPTIONAL_PACKAGES):
            continue
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        checked += 1
        for imported in module_level_imports(ast.parse(path.read_text("utf-8")), package):
            if imported.split(".")[0] in EXTRA_MODULES or imported.startswith(OPTIONAL_PACKAGES):
                offenders.append(f"{name} imports {imported}")
    assert checked > 80  # the walk saw the tree
    assert offenders == []


def casebook_without_extras(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "without_extras.py"
    script.write_text(WITHOUT_EXTRAS, "utf-8")
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "ABSENT_MODULES": ",".join(EXTRA_MODULES)},
        cwd=tmp_path,
        timeout=600,
        check=False,
    )


def test_run_without_extras_writes_the_markdown_report_and_names_the_render_extra(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    env = {"CASEBOOK_STORAGE_URL": str(tmp_path / "outputs"), "CASEBOOK_DELIVER_FOLDER": str(tmp_path / "reports")}
    with FakeOpenAIServer() as server:
        done = casebook_without_extras(
            tmp_path, "run", "Acme", "--docs", str(docs), "--use-cases", "2",
            env={**env, "OPENAI_BASE_URL": server.base_url},
        )
    assert done.returncode == 0, done.stderr
    report = Path(done.stdout.strip().splitlines()[-1])
    assert report.name.startswith("FINAL_REPORT_") and report.suffix == ".md" and report.is_file()
    assert sorted(p.suffix for p in report.parent.iterdir() if p.stem == report.stem) == [".md", ".ready"]
    note = (
        "note: only the Markdown report is written: html, pdf, docx need the render extra "
        f"({install_command('render')})"
    )
    assert note in done.stderr.splitlines()
    assert "Traceback" not in done.stderr

    run_id = report.stem.removeprefix("FINAL_REPORT_")
    again = casebook_without_extras(tmp_path, "render", run_id, env=env)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        f"error: the html, pdf, docx report needs the render extra (matplotlib, weasyprint not installed): "
        f"{install_command('render')}"
    ]


def test_serve_without_the_server_extra_names_it(tmp_path: Path) -> None:
    done = casebook_without_extras(tmp_path, "serve", env={"CASEBOOK_STORAGE_URL": str(tmp_path / "outputs")})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: casebook serve needs the server extra (")
    assert lines[0].endswith(install_command("server"))
