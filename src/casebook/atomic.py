"""Writing a local file atomically: a temp file beside the target, renamed over it only when all
of it is written, so a reader (or a process started after a crash) finds the old file or the
new one, never a part of one. The one place casebook does this (storage, folder delivery, the
embedded model's joined file)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import BinaryIO

TMP_PREFIX = ".tmp-"  # an unfinished write's name: listings leave such files out


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike[str], *, sync: bool = True) -> Iterator[BinaryIO]:
    """A binary file to write that replaces `target` when the block ends without an error; on an
    error the temp file is removed and `target` is untouched. `sync=False` skips the fsync: the
    file is still whole or absent after a process crash, only an operating-system crash may lose
    the latest version."""
    directory = os.path.dirname(os.fspath(target)) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f"{TMP_PREFIX}{uuid.uuid4().hex}")
    try:
        with open(tmp, "wb") as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(target: str | os.PathLike[str], data: bytes, *, sync: bool = True) -> None:
    with atomic_file(target, sync=sync) as handle:
        handle.write(data)
