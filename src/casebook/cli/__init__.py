"""The `casebook` command: a thin shell over the library.

`app` holds the typer app; each module below registers its commands on it when imported:
documents (ingest, search, storage), run (run, submit, status, resume …), ops (runs, cancel,
recover, worker …), review (a run's use cases at the review gate), check, serve. Nothing here
imports back from a command module's importer.
"""

from __future__ import annotations

import sys

from casebook.cli import check, documents, ops, review, run, serve
from casebook.cli.app import app

__all__ = ["app", "check", "documents", "main", "ops", "review", "run", "serve"]


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
