"""FakeDrive's files routes: get, export, list, create and update, with scope checks."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from casebook.testing.fake_drive.query import _matches, _parse_fields, _select, parse_query
from casebook.testing.fake_drive.state import (
    DEFAULT_FIELDS,
    DEFAULT_LIST_FIELDS,
    FOLDER,
    SCOPE_PREFIX,
    DriveHTTPError,
    FakeFile,
    _DriveState,
    _now,
)


class _FilesApi(_DriveState):
    @staticmethod
    def _can_read(scopes: frozenset[str], item: FakeFile) -> bool:
        if scopes & {SCOPE_PREFIX + "drive", SCOPE_PREFIX + "drive.readonly"}:
            return True
        return SCOPE_PREFIX + "drive.file" in scopes and item.created_by_app

    @staticmethod
    def _require_write(scopes: frozenset[str]) -> None:
        if not scopes & {SCOPE_PREFIX + "drive", SCOPE_PREFIX + "drive.file"}:
            raise DriveHTTPError(
                403,
                "insufficientPermissions",
                "Insufficient Permission: Request had insufficient authentication scopes.",
            )

    def _visible(
        self,
        item: FakeFile | None,
        query: dict[str, str],
        scopes: frozenset[str],
        *,
        all_drives: bool = False,
    ) -> FakeFile:
        if (
            item is None
            or not self._can_read(scopes, item)
            or (item.driveId and not all_drives and query.get("supportsAllDrives") != "true")
        ):
            raise DriveHTTPError(404, "notFound", "File not found.")
        return item

    def _get(
        self, file_id: str, query: dict[str, str], scopes: frozenset[str]
    ) -> tuple[dict[str, Any] | bytes, str]:
        with self._lock:
            item = self._visible(self.files.get(file_id), query, scopes)
            if query.get("alt") == "media":
                if item.data is None:
                    raise DriveHTTPError(
                        403,
                        "fileNotDownloadable",
                        "Only files with binary content can be downloaded. "
                        "Use Export with Docs Editors files.",
                    )
                return item.data, item.mimeType
            resource = item.resource(self.files)
        return _select(
            resource, _parse_fields(query.get("fields") or DEFAULT_FIELDS)
        ), "application/json"

    def _export(
        self, file_id: str, query: dict[str, str], scopes: frozenset[str]
    ) -> tuple[bytes, str]:
        with self._lock:
            # files.export has no supportsAllDrives parameter: it serves shared drives as they are
            item = self._visible(self.files.get(file_id), query, scopes, all_drives=True)
            mime = query.get("mimeType", "")
            if not item.mimeType.startswith("application/vnd.google-apps."):
                raise DriveHTTPError(
                    403, "fileNotExportable", "Export only supports Docs Editors files."
                )
            if mime not in item.exports:
                raise DriveHTTPError(
                    400, "badRequest", f"The requested conversion is not supported: {mime}"
                )
            data = item.exports[mime]
        if len(data) > self.export_limit_bytes:
            raise DriveHTTPError(
                403, "exportSizeLimitExceeded", "This file is too large to be exported."
            )
        return data, mime

    def _list(self, query: dict[str, str], scopes: frozenset[str]) -> Any:
        q = query.get("q", "")
        clauses = parse_query(q) if q else []
        size = int(query.get("pageSize") or 100)
        if not 1 <= size <= 1000:
            raise DriveHTTPError(400, "invalid", "Invalid Value: pageSize")
        all_drives = (
            query.get("supportsAllDrives") == "true"
            and query.get("includeItemsFromAllDrives") == "true"
        )
        corpora = query.get("corpora", "user")
        if corpora == "drive" and not (query.get("driveId") and all_drives):
            raise DriveHTTPError(
                400,
                "invalid",
                "The driveId parameter must be specified with corpora=drive "
                "and includeItemsFromAllDrives=true.",
            )
        signature = hashlib.sha256(
            json.dumps([q, corpora, query.get("driveId")]).encode()
        ).hexdigest()
        start = 0
        if query.get("pageToken"):
            saved = self._page_tokens.get(query["pageToken"])
            if saved is None or saved[0] != signature:
                raise DriveHTTPError(400, "invalid", "Invalid Value: pageToken")
            start = saved[1]
        with self._lock:
            found = [
                f
                for f in self.files.values()
                if _matches(f, clauses)
                and self._can_read(scopes, f)
                and (not f.driveId or all_drives)
                and (corpora != "drive" or f.driveId == query.get("driveId"))
            ]
            size = min(size, self.max_page_size)
            page = found[start : start + size]
            result: dict[str, Any] = {
                "kind": "drive#fileList",
                "incompleteSearch": False,
                "files": [f.resource(self.files) for f in page],
            }
            if start + size < len(found):
                token = secrets.token_urlsafe(12)
                self._page_tokens[token] = (signature, start + size)
                result["nextPageToken"] = token
        return _select(result, _parse_fields(query.get("fields") or DEFAULT_LIST_FIELDS))

    def _create(
        self, metadata: dict[str, Any], data: bytes | None, mime: str | None, scopes: frozenset[str]
    ) -> FakeFile:
        self._require_write(scopes)
        parents = list(metadata.get("parents") or [])
        with self._lock:
            for parent in parents:
                folder = self.files.get(parent)
                if folder is None or folder.mimeType != FOLDER:
                    raise DriveHTTPError(404, "notFound", f"File not found: {parent}.")
            drive_id = next((self.files[p].driveId for p in parents if self.files[p].driveId), None)
            item = FakeFile(
                self._new_id(),
                str(metadata.get("name") or "Untitled"),
                str(metadata.get("mimeType") or mime or "application/octet-stream"),
                parents,
                data=data
                if data is not None
                else (None if metadata.get("mimeType") == FOLDER else b""),
                appProperties=dict(metadata.get("appProperties") or {}),
                driveId=drive_id,
                created_by_app=True,
            )
            self.files[item.id] = item
        return item

    def _update(
        self,
        file_id: str,
        metadata: dict[str, Any],
        data: bytes | None,
        query: dict[str, str],
        scopes: frozenset[str],
    ) -> FakeFile:
        self._require_write(scopes)
        with self._lock:
            item = self._visible(self.files.get(file_id), query, scopes)
            if "name" in metadata:
                item.name = str(metadata["name"])
            if metadata.get("appProperties"):
                item.appProperties.update(metadata["appProperties"])
            if "trashed" in metadata:
                item.trashed = bool(metadata["trashed"])
            if data is not None:
                item.data = data
            item.modifiedTime = _now()
        return item
