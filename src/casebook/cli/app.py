"""The typer app every command module registers on, and what they share: consoles, options, the
error wrapper (a CasebookError prints one line and exits 1, never a traceback)."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from casebook.config import Settings, get_settings
from casebook.errors import CasebookError
from casebook.logs import configure_logging, mask

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="casebook: grounded AI-readiness reports from a company's own documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Text from documents, file names and errors is printed as it is: no emoji codes (":x:"), no
# highlighting; markup only in the literal parts of a line, every interpolated value escaped.
out = Console(soft_wrap=True, emoji=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, emoji=False, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])

CompanyArg = Annotated[str, typer.Argument(help="The company's name (any spelling of case and spacing)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout")]
NoOcrOpt = Annotated[
    bool, typer.Option("--no-ocr", help="Leave images and scanned PDF pages unread (as CASEBOOK_OCR=off)")
]


def command(func: F) -> F:
    """Register a command whose CasebookErrors print one line and exit 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CasebookError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise  # the command's own exit code
        except Exception as exc:
            if get_settings().log_level == "DEBUG":
                raise
            err.print(
                f"[red]unexpected error:[/red] {type(exc).__name__}: {escape(mask(str(exc)))} "
                f"({escape(origin(exc))}) — this is a bug; "
                "rerun with CASEBOOK_LOG_LEVEL=DEBUG for the traceback and report it",
                highlight=False,
            )
            raise typer.Exit(2) from None

    app.command()(wrapper)
    return func


def origin(exc: BaseException) -> str:
    """Where an exception was raised, for a bug report without the traceback: the innermost
    frame, and the innermost of casebook's own when that is another package's ("at
    dbos/_sys_db.py:812, from casebook/executors.py:133")."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "at an unknown place"

    def short(frame: traceback.FrameSummary) -> str:
        parts = PurePath(frame.filename).parts
        return f"{'/'.join(parts[-2:])}:{frame.lineno}"

    ours = [f for f in frames if "casebook" in PurePath(f.filename).parts]
    where = f"at {short(frames[-1])}"
    if ours and ours[-1] is not frames[-1]:
        where += f", from {short(ours[-1])}"
    return where


def settings_for_command(*, no_ocr: bool = False) -> Settings:
    settings = get_settings()
    configure_logging(settings)
    return settings.model_copy(update={"ocr": False}) if no_ocr else settings


