"""The one atomic write: the target is replaced whole or left as it was, no temp file remains."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.atomic import TMP_PREFIX, atomic_file, write_atomic


def test_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.md"
    write_atomic(target, b"first")
    write_atomic(target, b"second", sync=False)
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]


def test_an_error_while_writing_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="checksum"), atomic_file(target) as handle:
        handle.write(b"half of the new")
        assert any(p.name.startswith(TMP_PREFIX) for p in tmp_path.iterdir())
        raise ValueError("checksum differs")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]
