"""Google Drive in and out, with a service account.

In:  `download_folder(link, credentials_file, ...)` walks a shared folder (recursively, page
     by page, shared drives included) and returns its documents as SourceFiles. Google Docs,
     Sheets and Slides are exported to DOCX, XLSX and PPTX; everything that cannot be used
     comes back as a Skipped with its reason. Only Google Drive links are accepted: this
     module never fetches an arbitrary URL.
Out: `upload_report(files, folder_link, credentials_file, run_id=...)` uploads the final
     files with resumable uploads. Each upload carries the app property
     `casebook_run_id=<run>`; a retried delivery finds it and never makes a second copy.

Scopes are the narrowest that work: drive.readonly to read, drive.file to write.
The client is built from the discovery document bundled with google-api-python-client
(no network for discovery); `DriveEndpoint` points it somewhere else than Google (tests).
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from casebook.errors import CasebookError, ConfigError, InputError
from casebook.models import Skipped, SourceFile

READ_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
WRITE_SCOPE = "https://www.googleapis.com/auth/drive.file"
FULL_SCOPE = "https://www.googleapis.com/auth/drive"

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
_UPLOAD_TYPES = {".md": "text/markdown", ".ready": "application/json", ".json": "application/json"}
_ITEM_FIELDS = "id,name,mimeType,size,driveId,trashed,shortcutDetails(targetId,targetMimeType)"
_ID = re.compile(r"^[A-Za-z0-9_-]{10,200}$")
_DRIVE_HOSTS = {"drive.google.com", "docs.google.com"}
_MAX_DEPTH = 20
_RETRIES = 3  # the client's own retries of 429 and 5xx, with exponential backoff
RUN_PROPERTY = "casebook_run_id"

LinkKind = Literal["folder", "file", "item"]


class DriveError(CasebookError):
    """Google Drive failed in a way that is neither the link's nor the credentials' fault."""


@dataclass(frozen=True)
class DriveEndpoint:
    """Where the Drive API is, when it is not Google (a test server or an emulator)."""

    api_url: str  # the service root, e.g. https://127.0.0.1:8443/drive/v3/
    ca_certs: str | None = None  # a CA bundle to trust instead of the system's
    timeout_s: float = 60.0


# -- links --------------------------------------------------------------------------------


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


# -- the client ---------------------------------------------------------------------------


def _service(
    credentials_file: str | Path, scopes: list[str], endpoint: DriveEndpoint | None
) -> Any:
    import google_auth_httplib2
    import httplib2
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    path = Path(credentials_file)
    try:
        credentials = service_account.Credentials.from_service_account_file(
            str(path), scopes=scopes
        )
    except FileNotFoundError:
        raise ConfigError(
            f"the Drive service-account file {path} does not exist: "
            "set CASEBOOK_DRIVE_CREDENTIALS_FILE to the JSON key of a service account"
        ) from None
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a service-account JSON key: {exc}") from None
    http = httplib2.Http(
        timeout=int(endpoint.timeout_s) if endpoint else 60,
        ca_certs=endpoint.ca_certs if endpoint else None,
    )
    # Drive answers 308 to a resumable-upload chunk: that is progress, not a redirect.
    http.redirect_codes = http.redirect_codes - {308}
    authed = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    options = {"api_endpoint": endpoint.api_url} if endpoint else None
    return build(
        "drive",
        "v3",
        http=authed,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def _client_email(credentials_file: str | Path) -> str:
    try:
        return str(
            json.loads(Path(credentials_file).read_text()).get("client_email")
            or "the service account"
        )
    except (OSError, ValueError):
        return "the service account"


class _Calls:
    """Runs API requests, turning the client's errors into casebook's."""

    def __init__(self, credentials_file: str | Path) -> None:
        self.credentials_file = credentials_file
        self.email = _client_email(credentials_file)

    def __call__(self, request: Any, *, what: str) -> Any:
        import google.auth.exceptions
        import httplib2
        from googleapiclient.errors import HttpError

        try:
            return request.execute(num_retries=_RETRIES)
        except HttpError as exc:
            raise _http_error(exc, what, self.email) from None
        except google.auth.exceptions.RefreshError as exc:
            raise ConfigError(
                f"Google refused the service account in {self.credentials_file}: {_short(exc)}. "
                "Check the key is current and the Drive API is enabled for its project"
            ) from None
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise DriveError(f"cannot reach Google Drive ({what}): {_short(exc)}") from None


class _HttpFailure(DriveError):
    def __init__(self, message: str, status: int, reason: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


def _http_error(exc: Any, what: str, email: str) -> _HttpFailure:
    status = int(getattr(exc.resp, "status", 0) or 0)
    reason, message = "", str(exc)
    try:
        body = json.loads(exc.content)
        error = body.get("error", {})
        message = error.get("message") or message
        reason = (error.get("errors") or [{}])[0].get("reason", "")
    except (ValueError, AttributeError, TypeError):
        pass
    return _HttpFailure(
        f"Google Drive refused {what}: HTTP {status} {reason} {message}".strip(), status, reason
    )


def _short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:300]


# -- in -----------------------------------------------------------------------------------


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


# -- out ----------------------------------------------------------------------------------


def upload_report(
    files: dict[str, bytes],
    folder_link: str,
    credentials_file: str | Path,
    *,
    run_id: str,
    endpoint: DriveEndpoint | None = None,
    scope: str = WRITE_SCOPE,
    chunk_size: int = 8 * 256 * 1024,
) -> list[dict[str, str]]:
    """Upload `files` (name -> bytes) into a Drive folder; [{name, id, link}] in the same order.

    Idempotent: a file of this run with the same name already in the folder (found by its
    `casebook_run_id` app property) is reused, its content replaced only when it differs.
    """
    from googleapiclient.http import MediaIoBaseUpload

    kind, folder_id = parse_drive_link(folder_link)
    if kind == "file":
        raise InputError(
            f"{folder_link} is a file link: give the link of a Drive folder to upload into"
        )
    service = _service(credentials_file, [scope], endpoint)
    call = _Calls(credentials_file)
    api = service.files()
    run = run_id.replace("\\", "\\\\").replace("'", "\\'")
    query = (
        f"appProperties has {{ key='{RUN_PROPERTY}' and value='{run}' }} "
        f"and '{folder_id}' in parents and trashed=false"
    )
    existing: dict[str, dict[str, Any]] = {}
    token: str | None = None
    try:
        while True:
            page = call(
                api.list(
                    q=query,
                    pageSize=100,
                    pageToken=token,
                    spaces="drive",
                    fields="nextPageToken,files(id,name,md5Checksum,webViewLink)",
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                ),
                what="the search for an earlier upload",
            )
            for found in page.get("files", []):
                existing.setdefault(found["name"], found)
            token = page.get("nextPageToken")
            if not token:
                break
        results = []
        for name, data in files.items():
            mime = _UPLOAD_TYPES.get(PurePosixPath(name).suffix.lower()) or (
                mimetypes.guess_type(name)[0] or "application/octet-stream"
            )
            media = MediaIoBaseUpload(
                io.BytesIO(data), mimetype=mime, chunksize=chunk_size, resumable=True
            )
            earlier = existing.get(name)
            if earlier is not None and earlier.get("md5Checksum") == hashlib.md5(data).hexdigest():  # noqa: S324
                uploaded = earlier
            elif earlier is not None:
                request = api.update(
                    fileId=earlier["id"],
                    media_body=media,
                    supportsAllDrives=True,
                    fields="id,name,webViewLink",
                )
                uploaded = _resumable(request, call, name)
            else:
                body = {
                    "name": name,
                    "parents": [folder_id],
                    "appProperties": {RUN_PROPERTY: run_id},
                }
                request = api.create(
                    body=body,
                    media_body=media,
                    supportsAllDrives=True,
                    fields="id,name,webViewLink",
                )
                uploaded = _resumable(request, call, name)
            link = (
                uploaded.get("webViewLink")
                or f"https://drive.google.com/file/d/{uploaded['id']}/view"
            )
            results.append({"name": name, "id": uploaded["id"], "link": link})
    except _HttpFailure as exc:
        if exc.status in (403, 404):
            raise InputError(
                f"cannot upload into Drive folder {folder_id}: {str(exc).rstrip('.')}. "
                f"Share the folder with {call.email} as Editor (with the drive.file scope, "
                "Google may also require CASEBOOK_DRIVE_UPLOAD_SCOPE=drive)"
            ) from None
        raise
    return results


def _resumable(request: Any, call: _Calls, name: str) -> dict[str, Any]:
    """Send a resumable upload chunk by chunk; the client retries a failed chunk itself."""

    class _Chunk:
        def execute(self, num_retries: int = 0) -> Any:
            return request.next_chunk(num_retries=num_retries)

    response: dict[str, Any] | None = None
    while response is None:
        _, response = call(_Chunk(), what=f"the upload of {name}")
    return response
