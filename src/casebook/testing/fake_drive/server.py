"""FakeDrive itself: lifecycle, and the helpers tests use to fill its file tree."""

from __future__ import annotations

import secrets
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

from casebook.drive import DriveEndpoint
from casebook.testing.fake_drive.certs import make_tls_certificate
from casebook.testing.fake_drive.handler import _Handler, _Server
from casebook.testing.fake_drive.state import (
    FOLDER,
    GOOGLE_TYPES,
    SHORTCUT,
    FakeFile,
    RecordedRequest,
    _Upload,
)
from casebook.testing.fake_drive.token import _TokenEndpoint
from casebook.testing.fake_drive.uploads import _UploadsApi


class FakeDrive(_TokenEndpoint, _UploadsApi):
    """A Drive v3 server on 127.0.0.1 with an in-memory file tree. Use as a context manager."""

    def __init__(
        self, *, export_limit_bytes: int = 10 * 1024 * 1024, max_page_size: int = 1000
    ) -> None:
        self.files: dict[str, FakeFile] = {}
        self.max_page_size = max_page_size  # Drive may return fewer items than pageSize asks
        self.requests: list[RecordedRequest] = []
        self.tokens: dict[str, frozenset[str]] = {}  # access token -> scopes
        self.token_requests: list[dict[str, Any]] = []  # JWT claims of every grant
        self.export_limit_bytes = export_limit_bytes
        self.fail_next: list[
            tuple[str, str, int]
        ] = []  # (method, path prefix, status) to fail once
        self._keys: dict[str, Any] = {}  # client_email -> RSA public key
        self._uploads: dict[str, _Upload] = {}
        self._page_tokens: dict[str, tuple[str, int]] = {}
        self._lock = threading.RLock()
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-drive-")
        self.ca_file, key_file = make_tls_certificate(Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def api_endpoint(self) -> str:
        return f"{self.base_url}/drive/v3/"

    @property
    def endpoint(self) -> DriveEndpoint:
        return DriveEndpoint(api_url=self.api_endpoint, ca_certs=str(self.ca_file))

    def start(self) -> FakeDrive:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-drive"
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._tmp.cleanup()

    def __enter__(self) -> FakeDrive:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- content --------------------------------------------------------------------------

    def _add(self, item: FakeFile) -> str:
        with self._lock:
            self.files[item.id] = item
        return item.id

    def add_folder(
        self, name: str, parent: str | None = None, *, drive_id: str | None = None
    ) -> str:
        return self._add(
            FakeFile(self._new_id(), name, FOLDER, [parent] if parent else [], driveId=drive_id)
        )

    def add_shared_drive(self, name: str) -> str:
        """A shared drive's root: a folder whose id is the drive id."""
        drive_id = "0A" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")
        return self._add(FakeFile(drive_id, name, FOLDER, [], driveId=drive_id))

    def add_file(
        self,
        name: str,
        data: bytes,
        parent: str | None,
        *,
        mime_type: str = "application/octet-stream",
        drive_id: str | None = None,
        trashed: bool = False,
        app_properties: dict[str, str] | None = None,
    ) -> str:
        return self._add(
            FakeFile(
                self._new_id(),
                name,
                mime_type,
                [parent] if parent else [],
                data=data,
                trashed=trashed,
                appProperties=dict(app_properties or {}),
                driveId=drive_id,
            )
        )

    def add_google_file(
        self,
        name: str,
        parent: str | None,
        *,
        kind: Literal["document", "spreadsheet", "presentation", "form", "drawing", "site"],
        export: bytes | dict[str, bytes] = b"",
        drive_id: str | None = None,
    ) -> str:
        """A Docs-editors file; `export` is the bytes files.export returns (per mime type)."""
        from casebook.drive import EXPORTS

        mime = GOOGLE_TYPES[kind]
        exports = export if isinstance(export, dict) else {}
        if isinstance(export, bytes) and mime in EXPORTS:
            exports = {EXPORTS[mime][0]: export}
        return self._add(
            FakeFile(
                self._new_id(),
                name,
                mime,
                [parent] if parent else [],
                exports=exports,
                driveId=drive_id,
            )
        )

    def add_shortcut(self, name: str, parent: str, target_id: str) -> str:
        return self._add(
            FakeFile(self._new_id(), name, SHORTCUT, [parent], shortcut_target=target_id)
        )

    def children(self, folder_id: str, *, include_trashed: bool = False) -> list[FakeFile]:
        with self._lock:
            return [
                f
                for f in self.files.values()
                if folder_id in f.parents and (include_trashed or not f.trashed)
            ]

    def folder_link(self, folder_id: str) -> str:
        return f"https://drive.google.com/drive/folders/{folder_id}"

    def count(self, method: str, path_prefix: str) -> int:
        return sum(
            1 for r in self.requests if r.method == method and r.path.startswith(path_prefix)
        )
