"""Google Drive links: which item a Drive or Docs URL names, and whether it is a folder.

Only Google Drive links are accepted: casebook never fetches an arbitrary URL.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from casebook.errors import InputError

_ID = re.compile(r"^[A-Za-z0-9_-]{10,200}$")
_DRIVE_HOSTS = {"drive.google.com", "docs.google.com"}

LinkKind = Literal["folder", "file", "item"]


def parse_drive_link(url: str) -> tuple[LinkKind, str]:
    """('folder' | 'file' | 'item', id) of a Google Drive or Docs link; InputError otherwise.

    'item' is an `open?id=` link, which does not say whether it names a file or a folder.
    """
    refusal = (
        f"only Google Drive links are accepted (https://drive.google.com/… or "
        f"https://docs.google.com/…), not {url[:120]!r}"
    )
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise InputError(refusal) from None
    if (
        parts.scheme != "https"
        or (parts.hostname or "") not in _DRIVE_HOSTS
        or parts.username
        or parts.port
    ):
        raise InputError(refusal)
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    kind: LinkKind | None = None
    found: str | None = None
    if "folders" in segments and segments.index("folders") + 1 < len(segments):
        kind, found = "folder", segments[segments.index("folders") + 1]
    elif "d" in segments and segments.index("d") + 1 < len(segments):
        kind, found = "file", segments[segments.index("d") + 1]
    elif segments and segments[-1] in ("open", "uc", "folderview", "file") and query.get("id"):
        kind = (
            "folder"
            if segments[-1] == "folderview"
            else ("file" if segments[-1] == "uc" else "item")
        )
        found = query["id"][0]
    if kind is None or found is None or not _ID.match(found):
        raise InputError(f"{refusal}: the link names no Drive file or folder")
    return kind, found
