"""Limits checked before a parser touches the bytes: file size, page counts, and zip bombs.

Office files (.docx, .pptx, .xlsx) are zip archives. Before python-docx, python-pptx or
openpyxl opens one, its central directory is inspected: too many members, or too many bytes
once expanded, refuse the file; so does a file that expands both far (past RATIO_FLOOR_BYTES)
and steeply (more than CASEBOOK_MAX_ZIP_RATIO times its compressed size, all members
together). A steep ratio alone is no sign of a bomb: a real deck holds blank images and
repetitive XML that compress a thousandfold, and what they expand to is small.
The declared sizes can be trusted as upper bounds because Python's zipfile, which all three
libraries read through, stops each member at its declared size.
"""

from __future__ import annotations

import io
import zipfile

from casebook.config import Settings
from casebook.documents.pages import Unreadable

MB = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
"""Most members an office file may hold (real documents have tens to a few thousand)."""
RATIO_FLOOR_BYTES = 64 * MB
"""An office file expanding to less than this is not ratio-checked: whatever its ratio, it is small."""


def check_size(size: int, settings: Settings) -> None:
    """A document's size in bytes against the limits."""
    if not size:
        raise Unreadable("empty file (0 bytes): upload the document again")
    size_mb = size / MB
    if size_mb > settings.max_file_mb:
        raise Unreadable(
            f"file is {size_mb:.1f} MB, over the {settings.max_file_mb:g} MB limit "
            "(CASEBOOK_MAX_FILE_MB): split it or raise the limit"
        )


def check_count(count: int, unit: str, settings: Settings) -> None:
    if count > settings.max_pages:
        raise Unreadable(
            f"document has {count} {unit}, over the limit of {settings.max_pages} "
            "(CASEBOOK_MAX_PAGES): split it or raise the limit"
        )


def check_zip(data: bytes, settings: Settings, what: str) -> None:
    """Refuse an office file (a zip) that is corrupt, encrypted or would expand too far."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Unreadable(f"corrupt or truncated {what} file: it cannot be opened") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise Unreadable(
            f"{what} file holds {len(members)} parts, over {MAX_ZIP_MEMBERS}: "
            "refusing a possible zip bomb"
        )
    total = sum(member.file_size for member in members)
    if total > settings.max_unzipped_mb * MB:
        raise Unreadable(
            f"{what} file would expand to {total / MB:.0f} MB, over the "
            f"{settings.max_unzipped_mb:g} MB limit (CASEBOOK_MAX_UNZIPPED_MB): "
            "refusing a possible zip bomb"
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise Unreadable(f"password-protected {what} file: remove the password and upload again")
    compressed = sum(member.compress_size for member in members)
    ratio = total / compressed if compressed else float("inf")
    if total > RATIO_FLOOR_BYTES and ratio > settings.max_zip_ratio:
        raise Unreadable(
            f"{what} file would expand {ratio:.0f} times to {total / MB:.0f} MB, over the "
            f"{settings.max_zip_ratio:g}x limit (CASEBOOK_MAX_ZIP_RATIO) for files expanding past "
            f"{RATIO_FLOOR_BYTES // MB} MB: refusing a possible zip bomb"
        )
