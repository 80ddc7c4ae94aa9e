"""FakeDrive's data: the file resource, recorded requests, upload sessions, errors.

`_DriveState` declares the attributes FakeDrive sets up and its route mixins share.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

FOLDER = "application/vnd.google-apps.folder"
SHORTCUT = "application/vnd.google-apps.shortcut"
GOOGLE_TYPES = {
    "document": "application/vnd.google-apps.document",
    "spreadsheet": "application/vnd.google-apps.spreadsheet",
    "presentation": "application/vnd.google-apps.presentation",
    "form": "application/vnd.google-apps.form",
    "drawing": "application/vnd.google-apps.drawing",
    "site": "application/vnd.google-apps.site",
}
SCOPE_PREFIX = "https://www.googleapis.com/auth/"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
DEFAULT_FIELDS = "kind,id,name,mimeType"
DEFAULT_LIST_FIELDS = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)"


@dataclass
class FakeFile:
    id: str
    name: str
    mimeType: str
    parents: list[str] = field(default_factory=list)
    data: bytes | None = None  # binary content; None for folders and Google files
    exports: dict[str, bytes] = field(default_factory=dict)  # Google files: mime type -> bytes
    trashed: bool = False
    appProperties: dict[str, str] = field(default_factory=dict)
    driveId: str | None = None
    shortcut_target: str | None = None
    created_by_app: bool = False
    createdTime: str = field(default_factory=lambda: _now())
    modifiedTime: str = field(default_factory=lambda: _now())

    def resource(self, files: dict[str, FakeFile]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mimeType,
            "parents": list(self.parents),
            "trashed": self.trashed,
            "createdTime": self.createdTime,
            "modifiedTime": self.modifiedTime,
            "webViewLink": (
                f"https://drive.google.com/drive/folders/{self.id}"
                if self.mimeType == FOLDER
                else f"https://drive.google.com/file/d/{self.id}/view?usp=drivesdk"
            ),
        }
        if self.appProperties:
            out["appProperties"] = dict(self.appProperties)
        if self.driveId:
            out["driveId"] = self.driveId
        if self.data is not None:
            out["size"] = str(len(self.data))
            out["md5Checksum"] = hashlib.md5(self.data).hexdigest()  # noqa: S324 - Drive's checksum
        if self.shortcut_target:
            target = files.get(self.shortcut_target)
            out["shortcutDetails"] = {
                "targetId": self.shortcut_target,
                "targetMimeType": target.mimeType if target else "application/octet-stream",
            }
        return out


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body_size: int


@dataclass
class _Upload:
    metadata: dict[str, Any]
    mime_type: str
    total: int | None
    query: dict[str, str]
    token_scopes: frozenset[str]
    file_id: str | None = None  # set for an update
    received: bytearray = field(default_factory=bytearray)


class DriveHTTPError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))



class _OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description



class _DriveState:
    """What the token, files and uploads mixins share; FakeDrive sets it all in __init__."""

    files: dict[str, FakeFile]
    max_page_size: int
    requests: list[RecordedRequest]
    tokens: dict[str, frozenset[str]]
    token_requests: list[dict[str, Any]]
    export_limit_bytes: int
    fail_next: list[tuple[str, str, int]]
    _keys: dict[str, Any]
    _uploads: dict[str, _Upload]
    _page_tokens: dict[str, tuple[str, int]]
    _lock: threading.RLock
    port: int

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"


    def _new_id(self) -> str:
        return "1" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
