"""Drive out: `upload_report` uploads the final files into a Drive folder.

Uploads are resumable. Each carries the app property `casebook_run_id=<run>`; a retried
delivery finds it and never makes a second copy.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from pathlib import Path, PurePosixPath
from typing import Any

from casebook.drive.client import WRITE_SCOPE, DriveEndpoint, _Calls, _HttpFailure, _service
from casebook.drive.links import parse_drive_link
from casebook.errors import InputError
from casebook.extras import require

_UPLOAD_TYPES = {".md": "text/markdown", ".ready": "application/json", ".json": "application/json"}
RUN_PROPERTY = "casebook_run_id"


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
    require("drive", "Google Drive delivery")
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
