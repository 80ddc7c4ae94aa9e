"""FakeDrive's upload routes: resumable sessions chunk by chunk, and multipart bodies."""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import Any

from casebook.testing.fake_drive.files import _FilesApi
from casebook.testing.fake_drive.query import _parse_fields, _select
from casebook.testing.fake_drive.state import DEFAULT_FIELDS, DriveHTTPError, _Upload


class _UploadsApi(_FilesApi):
    def _start_upload(
        self,
        file_id: str | None,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        scopes: frozenset[str],
    ) -> str:
        self._require_write(scopes)
        metadata = json.loads(body) if body else {}
        total = headers.get("x-upload-content-length")
        upload_id = secrets.token_urlsafe(16)
        with self._lock:
            if file_id is not None:
                self._visible(self.files.get(file_id), query, scopes)
            self._uploads[upload_id] = _Upload(
                metadata=metadata,
                mime_type=headers.get("x-upload-content-type", "application/octet-stream"),
                total=int(total) if total else None,
                query=query,
                token_scopes=scopes,
                file_id=file_id,
            )
        path = "/upload/drive/v3/files" + (f"/{file_id}" if file_id else "")
        return f"{self.base_url}{path}?uploadType=resumable&upload_id={upload_id}"

    def _put_chunk(
        self, upload_id: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                raise DriveHTTPError(404, "notFound", "Upload session not found or expired.")
            content_range = headers.get("content-range", "")
            match = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", content_range.strip())
            if content_range and not match:
                raise DriveHTTPError(400, "badContent", f"Invalid Content-Range {content_range!r}")
            total = upload.total
            if match and match.group(3) != "*":
                total = int(match.group(3))
            if match and match.group(1) is not None:
                first, last = int(match.group(1)), int(match.group(2))
                if first > len(upload.received) or last - first + 1 != len(body):
                    raise DriveHTTPError(
                        400, "badContent", "Content-Range does not match the bytes received"
                    )
                del upload.received[first:]
                upload.received.extend(body)
            elif not content_range:  # a single PUT with the whole body
                upload.received[:] = body
                total = len(body)
            upload.total = total
            if total is None or len(upload.received) < total:
                reply = {"Range": f"bytes=0-{len(upload.received) - 1}"} if upload.received else {}
                return 308, reply, None
            del self._uploads[upload_id]
        data = bytes(upload.received)
        if upload.file_id is not None:
            item = self._update(
                upload.file_id, upload.metadata, data, upload.query, upload.token_scopes
            )
        else:
            item = self._create(upload.metadata, data, upload.mime_type, upload.token_scopes)
        fields = _parse_fields(upload.query.get("fields") or DEFAULT_FIELDS)
        return 200, {}, _select(item.resource(self.files), fields)


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes, str]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise DriveHTTPError(400, "badContent", "multipart body without a boundary")
    boundary = b"--" + match.group(1).encode()
    parts = []
    for chunk in body.split(boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        sep = b"\r\n\r\n" if b"\r\n\r\n" in chunk else b"\n\n"
        head, _, content = chunk.partition(sep)
        content = content.removesuffix(b"\r\n").removesuffix(b"\n")
        headers = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (line.partition(":") for line in head.decode("latin-1").splitlines())
            if k.strip()
        )
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            content = base64.b64decode(content)
        parts.append((headers, content))
    if len(parts) != 2:
        raise DriveHTTPError(400, "badContent", "multipart upload needs metadata and media parts")
    metadata = json.loads(parts[0][1] or b"{}")
    return metadata, parts[1][1], parts[1][0].get("content-type", "application/octet-stream")
