"""Document text, file names and reasons are printed as they are: never read as Rich markup or emoji."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from casebook.cli import app

runner = CliRunner()
PASSAGE = "The auditor wrote [/quote] after [cited] the ledger :x: and [bold]nothing[/bold] else."


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_search_prints_passages_literally(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "audit [b]notes[i].txt").write_text(f"{PASSAGE}\n", encoding="utf-8")
    (docs / "photo [red] x.bin").write_bytes(b"\x00\x01\x02binary" * 10)

    code, out, err = invoke("ingest", "Acme", "--docs", str(docs))
    assert code == 0, err
    assert "1 ingested" in out
    assert "skipped photo [red] x.bin: unsupported file type" in out

    code, out, err = invoke("search", "Acme", "auditor ledger")
    assert code == 0, err
    assert "Traceback" not in out + err
    lines = out.splitlines()
    assert lines[0].startswith("1. audit [b]notes[i].txt  (score ")
    assert lines[1] == "   " + PASSAGE
    assert "❌" not in out


def test_errors_naming_a_bracketed_path_print_it_literally(tmp_path: Path) -> None:
    missing = tmp_path / "[/nope] :x:"
    code, _, err = invoke("ingest", "Acme", "--docs", str(missing))
    assert code == 1
    assert f"{missing} is not a folder" in err
    assert "Traceback" not in err and "❌" not in err
