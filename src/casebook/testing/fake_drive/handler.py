"""FakeDrive's HTTP side: the threading TLS server and the request handler that routes."""

from __future__ import annotations

import json
import re
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from casebook.testing.fake_drive.query import _parse_fields, _select
from casebook.testing.fake_drive.state import (
    DEFAULT_FIELDS,
    DriveHTTPError,
    RecordedRequest,
    _OAuthError,
)
from casebook.testing.fake_drive.uploads import _parse_multipart

if TYPE_CHECKING:
    from casebook.testing.fake_drive.server import FakeDrive


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], drive: FakeDrive
    ) -> None:
        super().__init__(address, handler)
        self.drive = drive

    def handle_error(
        self, request: Any, client_address: Any
    ) -> None:  # quiet on dropped TLS clients
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        # headers and body go out as separate writes: without this, delayed ACKs cost 40 ms a call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _reply(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._reply(status, json.dumps(value).encode(), "application/json; charset=UTF-8", headers)

    def _error(self, status: int, reason: str, message: str) -> None:
        self._json(
            status,
            {
                "error": {
                    "code": status,
                    "message": message,
                    "errors": [{"domain": "global", "reason": reason, "message": message}],
                }
            },
        )

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        drive = self.server.drive
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        with drive._lock:
            drive.requests.append(RecordedRequest(method, url.path, query, headers, len(body)))
            fault = next(
                (f for f in drive.fail_next if f[0] == method and url.path.startswith(f[1])), None
            )
            if fault is not None:
                drive.fail_next.remove(fault)
        try:
            if fault is not None:
                raise DriveHTTPError(fault[2], "backendError", "Injected failure")
            self._route(method, url.path, query, headers, body)
        except _OAuthError as exc:
            self._json(400, {"error": exc.error, "error_description": exc.description})
        except DriveHTTPError as exc:
            self._error(exc.status, exc.reason, exc.message)
        except (ValueError, KeyError) as exc:
            self._error(400, "badRequest", f"Bad request: {exc}")

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> None:
        drive = self.server.drive
        if path == "/token" and method == "POST":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            self._json(200, drive._grant(form))
            return
        scopes = drive._scopes(headers)
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["drive", "v3", "files"]:
            rest = parts[3:]
            if method == "GET" and not rest:
                self._json(200, drive._list(query, scopes))
            elif method == "GET" and len(rest) == 1:
                value, mime = drive._get(rest[0], query, scopes)
                if isinstance(value, bytes):
                    self._media(value, mime, headers)
                else:
                    self._json(200, value)
            elif method == "GET" and len(rest) == 2 and rest[1] == "export":
                data, mime = drive._export(rest[0], query, scopes)
                self._reply(200, data, mime)
            elif method == "POST" and not rest:
                item = drive._create(json.loads(body or b"{}"), None, None, scopes)
                self._json(
                    200,
                    _select(
                        item.resource(drive.files),
                        _parse_fields(query.get("fields") or DEFAULT_FIELDS),
                    ),
                )
            elif method == "PATCH" and len(rest) == 1:
                item = drive._update(rest[0], json.loads(body or b"{}"), None, query, scopes)
                self._json(
                    200,
                    _select(
                        item.resource(drive.files),
                        _parse_fields(query.get("fields") or DEFAULT_FIELDS),
                    ),
                )
            else:
                raise DriveHTTPError(404, "notFound", f"No route {method} {path}")
            return
        if parts[:4] == ["upload", "drive", "v3", "files"] and len(parts) <= 5:
            file_id = parts[4] if len(parts) == 5 else None
            self._upload(method, file_id, query, headers, body, scopes)
            return
        raise DriveHTTPError(404, "notFound", f"No route {method} {path}")

    def _media(self, data: bytes, mime: str, headers: dict[str, str]) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", headers.get("range", ""))
        if not match:
            self._reply(200, data, mime)
            return
        first = int(match.group(1))
        last = min(int(match.group(2)) if match.group(2) else len(data) - 1, len(data) - 1)
        if first >= len(data):
            self._reply(416, b"", mime, {"Content-Range": f"bytes */{len(data)}"})
            return
        self._reply(
            206,
            data[first : last + 1],
            mime,
            {"Content-Range": f"bytes {first}-{last}/{len(data)}"},
        )

    def _upload(
        self,
        method: str,
        file_id: str | None,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        scopes: frozenset[str],
    ) -> None:
        drive = self.server.drive
        upload_type = query.get("uploadType", "")
        fields = _parse_fields(query.get("fields") or DEFAULT_FIELDS)
        if method == "PUT" and query.get("upload_id"):
            status, extra, value = drive._put_chunk(query["upload_id"], headers, body)
            if status == 308:
                self._reply(308, b"", "text/plain", extra)
            else:
                self._json(status, value)
            return
        if upload_type == "resumable" and method in ("POST", "PATCH"):
            location = drive._start_upload(file_id, query, headers, body, scopes)
            self._reply(200, b"", "text/plain", {"Location": location})
            return
        if upload_type in ("multipart", "media") and method in ("POST", "PATCH"):
            if upload_type == "multipart":
                metadata, data, mime = _parse_multipart(headers.get("content-type", ""), body)
            else:
                metadata, data, mime = (
                    {},
                    body,
                    headers.get("content-type", "application/octet-stream"),
                )
            if file_id is None:
                item = drive._create(metadata, data, mime, scopes)
            else:
                item = drive._update(file_id, metadata, data, query, scopes)
            self._json(200, _select(item.resource(drive.files), fields))
            return
        raise DriveHTTPError(
            400, "badRequest", f"Unsupported upload {method} uploadType={upload_type!r}"
        )
