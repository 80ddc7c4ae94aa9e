"""Drive in: `download_folder` walks a shared folder and returns its documents.

The walk is recursive, page by page, shared drives included. Google Docs, Sheets and Slides
are exported to DOCX, XLSX and PPTX; everything that cannot be used comes back as a Skipped
with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casebook.drive.client import READ_SCOPE, DriveEndpoint, _Calls, _HttpFailure, _service
from casebook.drive.links import parse_drive_link
from casebook.errors import InputError
from casebook.models import Skipped, SourceFile

FOLDER = "application/vnd.google-apps.folder"
SHORTCUT = "application/vnd.google-apps.shortcut"
GOOGLE_APPS = "application/vnd.google-apps."
# Docs-editors type -> (export mime type, file extension)
EXPORTS: dict[str, tuple[str, str]] = {
    "application/vnd.google-apps.document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "application/vnd.google-apps.spreadsheet": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    "application/vnd.google-apps.presentation": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".pptx",
    ),
}
_ITEM_FIELDS = "id,name,mimeType,size,driveId,trashed,shortcutDetails(targetId,targetMimeType)"
_MAX_DEPTH = 20


@dataclass
class _Planned:
    path: str  # shown and stored name, relative to the shared folder
    id: str
    mime: str
    size: int | None


def download_folder(
    link: str,
    credentials_file: str | Path,
    *,
    max_files: int,
    max_total_bytes: int,
    max_file_bytes: int | None = None,
    endpoint: DriveEndpoint | None = None,
) -> tuple[list[SourceFile], list[Skipped]]:
    """The documents below a Drive folder (or the one file a file link names).

    Raises InputError when the link is not Drive's, the item is not shared with the service
    account, or the folder holds more than `max_files` documents or `max_total_bytes`.
    A single file over `max_file_bytes` is skipped with its reason, as a local one would be.
    """
    _, item_id = parse_drive_link(link)
    service = _service(credentials_file, [READ_SCOPE], endpoint)
    call = _Calls(credentials_file)
    files = service.files()
    try:
        root = call(
            files.get(fileId=item_id, fields=_ITEM_FIELDS, supportsAllDrives=True), what="the link"
        )
    except _HttpFailure as exc:
        if exc.status in (403, 404):
            raise InputError(
                f"the Drive item {item_id} is not shared with {call.email} (or does not exist): "
                f"share it with that address as Viewer and submit again"
            ) from None
        raise
    skipped: list[Skipped] = []
    planned: list[_Planned] = []
    if root.get("mimeType") == FOLDER:
        _walk(
            files, call, root, "", planned, skipped, max_files=max_files, seen={root["id"]}, depth=0
        )
    else:
        _plan(files, call, root, "", planned, skipped)
    known = sum(p.size or 0 for p in planned)
    if known > max_total_bytes:
        raise InputError(_too_much(known, max_total_bytes))

    sources: list[SourceFile] = []
    total = 0
    for item in planned:
        if max_file_bytes is not None and item.size is not None and item.size > max_file_bytes:
            skipped.append(Skipped(file=item.path, reason=_too_big(item.size, max_file_bytes)))
            continue
        try:
            data = _fetch(files, call, item)
        except _HttpFailure as exc:
            if exc.status in (400, 403, 404):
                skipped.append(Skipped(file=item.path, reason=_fetch_refusal(exc)))
                continue
            raise
        if max_file_bytes is not None and len(data) > max_file_bytes:
            skipped.append(Skipped(file=item.path, reason=_too_big(len(data), max_file_bytes)))
            continue
        total += len(data)
        if total > max_total_bytes:
            raise InputError(_too_much(total, max_total_bytes))
        sources.append(SourceFile(name=item.path, data=data))
    return sources, skipped


def _pages(files: Any, call: _Calls, folder: dict[str, Any]) -> Iterator[dict[str, Any]]:
    query = f"'{folder['id']}' in parents and trashed=false"
    extra: dict[str, Any] = {}
    if folder.get("driveId"):
        extra = {"corpora": "drive", "driveId": folder["driveId"]}
    token: str | None = None
    while True:
        page = call(
            files.list(
                q=query,
                pageSize=1000,
                pageToken=token,
                orderBy="folder,name",
                fields=f"nextPageToken,files({_ITEM_FIELDS})",
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
                **extra,
            ),
            what=f"the listing of {folder.get('name') or folder['id']}",
        )
        yield from page.get("files", [])
        token = page.get("nextPageToken")
        if not token:
            return


def _walk(
    files: Any,
    call: _Calls,
    folder: dict[str, Any],
    prefix: str,
    planned: list[_Planned],
    skipped: list[Skipped],
    *,
    max_files: int,
    seen: set[str],
    depth: int,
) -> None:
    for item in _pages(files, call, folder):
        path = f"{prefix}{item.get('name') or item['id']}"
        if item.get("mimeType") == FOLDER:
            if item["id"] in seen:
                continue
            if depth + 1 > _MAX_DEPTH:
                skipped.append(
                    Skipped(
                        file=path + "/", reason=f"folder nested deeper than {_MAX_DEPTH} levels"
                    )
                )
                continue
            seen.add(item["id"])
            _walk(
                files,
                call,
                item,
                path + "/",
                planned,
                skipped,
                max_files=max_files,
                seen=seen,
                depth=depth + 1,
            )
        else:
            _plan(files, call, item, prefix, planned, skipped)
        if len(planned) > max_files:
            raise InputError(
                f"the Drive folder holds more than {max_files} documents: "
                "share a folder with fewer "
                "(or raise CASEBOOK_DRIVE_MAX_FILES)"
            )


def _plan(
    files: Any,
    call: _Calls,
    item: dict[str, Any],
    prefix: str,
    planned: list[_Planned],
    skipped: list[Skipped],
) -> None:
    name = item.get("name") or item["id"]
    mime = str(item.get("mimeType") or "")
    if mime == SHORTCUT:
        target_id = (item.get("shortcutDetails") or {}).get("targetId")
        if (item.get("shortcutDetails") or {}).get("targetMimeType") == FOLDER:
            skipped.append(
                Skipped(
                    file=f"{prefix}{name}",
                    reason="shortcut to a folder: not followed "
                    "(share the folder itself, or move its files in)",
                )
            )
            return
        try:
            target = call(
                files.get(fileId=target_id, fields=_ITEM_FIELDS, supportsAllDrives=True),
                what=f"the target of shortcut {name}",
            )
        except _HttpFailure as exc:
            if exc.status in (403, 404):
                skipped.append(
                    Skipped(
                        file=f"{prefix}{name}",
                        reason="shortcut to a file that is not shared with the service account",
                    )
                )
                return
            raise
        if target.get("mimeType") in (FOLDER, SHORTCUT):
            skipped.append(
                Skipped(file=f"{prefix}{name}", reason="shortcut to a folder: not followed")
            )
            return
        item, mime = {**target, "name": name}, str(target.get("mimeType") or "")
    if any(p.id == item["id"] for p in planned):
        skipped.append(Skipped(file=f"{prefix}{name}", reason="the same Drive file appears twice"))
        return
    if mime in EXPORTS:
        ext = EXPORTS[mime][1]
        path = f"{prefix}{name}" if name.lower().endswith(ext) else f"{prefix}{name}{ext}"
        planned.append(_Planned(path=path, id=item["id"], mime=mime, size=None))
    elif mime.startswith(GOOGLE_APPS):
        kind = mime.removeprefix(GOOGLE_APPS)
        skipped.append(
            Skipped(
                file=f"{prefix}{name}",
                reason=f"Google {kind.title()} files cannot be exported "
                "as a document: save its content as a Doc, Sheet or PDF",
            )
        )
    elif mime.startswith(("video/", "audio/")):
        skipped.append(Skipped(file=f"{prefix}{name}", reason=f"{mime} is not a document"))
    else:
        size = int(item["size"]) if str(item.get("size") or "").isdigit() else None
        planned.append(_Planned(path=f"{prefix}{name}", id=item["id"], mime=mime, size=size))


def _fetch(files: Any, call: _Calls, item: _Planned) -> bytes:
    if item.mime in EXPORTS:
        request = files.export(fileId=item.id, mimeType=EXPORTS[item.mime][0])
    else:
        request = files.get_media(fileId=item.id, supportsAllDrives=True)
    data = call(request, what=f"the download of {item.path}")
    return data if isinstance(data, bytes) else str(data).encode()


def _fetch_refusal(exc: _HttpFailure) -> str:
    if exc.reason == "exportSizeLimitExceeded":
        return (
            "too large for Google to export (10 MB): "
            "download it as DOCX/XLSX/PPTX and share that file"
        )
    if exc.reason in ("cannotDownloadFile", "cannotCopyFile"):
        return "the owner has disabled downloading this file"
    return f"Google Drive refused the download: {exc}"


def _too_big(size: int, limit: int) -> str:
    return (
        f"{size / 1_048_576:.1f} MB is over the {limit / 1_048_576:g} MB limit "
        "(raise CASEBOOK_MAX_FILE_MB to accept it)"
    )


def _too_much(size: int, limit: int) -> str:
    return (
        f"the Drive folder holds more than {limit / 1_048_576:g} MB of documents "
        f"({size / 1_048_576:.1f} MB so far): "
        "share a smaller folder (or raise CASEBOOK_DRIVE_MAX_TOTAL_MB)"
    )
