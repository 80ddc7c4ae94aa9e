"""Limits checked before a parser touches the bytes: file size, page counts, and zip bombs.

Office files (.docx, .pptx, .xlsx) are zip archives. Before python-docx, python-pptx or
openpyxl opens one, its central directory is inspected: too many members, too many bytes
once expanded, or a member that expands far more than documents do, all refuse the file.
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
RATIO_GRACE_BYTES = 100 * 1024
"""Members under this size once expanded are not ratio-checked: small XML compresses very well."""


def check_size(data: bytes, settings: Settings) -> None:
    if not data:
        raise Unreadable("empty file (0 bytes): upload the document again")
    size_mb = len(data) / MB
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
    for member in members:
        if member.flag_bits & 0x1:
            raise Unreadable(
                f"password-protected {what} file: remove the password and upload again"
            )
        if member.file_size <= RATIO_GRACE_BYTES:
            continue
        ratio = member.file_size / member.compress_size if member.compress_size else float("inf")
        if ratio > settings.max_zip_ratio:
            raise Unreadable(
                f"{what} file part {member.filename!r} expands {ratio:.0f} times, over the "
                f"{settings.max_zip_ratio:g}x limit (CASEBOOK_MAX_ZIP_RATIO): "
                "refusing a possible zip bomb"
            )
