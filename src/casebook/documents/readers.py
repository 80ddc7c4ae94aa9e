"""Which reader reads each kind of document, and its version: what decides whether a stored
version is read again. Light to import (no format library), for the process that only stores."""

from __future__ import annotations

from casebook.config import Settings
from casebook.documents.formats.ocr import Ocr, for_want_of_ocr

READER_VERSIONS = {
    "detect": 1, "pdf": 1, "docx": 1, "pptx": 1, "xlsx": 1, "csv": 1, "json": 1, "txt": 1, "md": 1, "html": 1,
    "image": 1,
}
"""Each reader's version: raise a kind's number whenever what its reader gives for a file changes
(more text found, better order), and "detect" when what is read at all changes. Every version
records the reader that read it; one read by an older reader is read again at its next ingest
(unless a run cites its passages, which stay as they are for good)."""


def reader_version(kind: str | None) -> str:
    """The reader a version of this kind is read by now ("pdf:2"); for an unreadable file (no
    kind), every reader and the detection, since a change to any of them may make it readable."""
    if kind in READER_VERSIONS and kind != "detect":
        return f"{kind}:{READER_VERSIONS[kind]}"
    return ",".join(f"{k}:{v}" for k, v in sorted(READER_VERSIONS.items()))


def worth_rereading(reason: str | None, settings: Settings) -> bool:
    """Whether a file skipped for `reason` may be read now: it went unread for want of OCR, which
    can run now (the engine was installed, or OCR turned back on)."""
    return reason is not None and for_want_of_ocr(reason) and Ocr(settings).missing is None
