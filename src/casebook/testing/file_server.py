"""An HTTPS file server on loopback with its own CA: where form providers' file URLs point in tests.

    with FileServer() as files:
        url = files.add("/q3.pdf", pdf_bytes, content_type="application/pdf")
        files.redirect("/old", "/q3.pdf")
        files.fail("/flaky.md", [503, 503])        # two failures, then the file
        settings = Settings(fetch_ca_file=files.ca_file, fetch_allow_private=True, …)
        files.requests                              # [(path, headers), …]

A client must trust `ca_file`; the certificate names 127.0.0.1, ::1 and localhost.
"""

from __future__ import annotations

import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from casebook.testing.fake_drive.certs import make_tls_certificate


@dataclass
class _Entry:
    body: bytes = b""
    content_type: str = "application/octet-stream"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)  # statuses answered first, one per request


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        with owner.lock:
            owner.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            entry = owner.entries.get(path)
            failure = entry.failures.pop(0) if entry and entry.failures else None
        if entry is None:
            self._answer(404, b"not found", "text/plain", {})
        elif failure is not None:
            self._answer(failure, b"try again", "text/plain", {})
        else:
            self._answer(entry.status, entry.body, entry.content_type, entry.headers)

    def _answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: FileServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner


class FileServer:
    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="casebook-files-")
        self.ca_file, key_file = make_tls_certificate(Path(self._tmp.name))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        self._server = _Server(self)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="file-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: bytes, *, content_type: str = "application/octet-stream", **headers: str) -> str:
        with self.lock:
            self.entries[path] = _Entry(body=body, content_type=content_type, headers=dict(headers))
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        with self.lock:
            self.entries[path] = _Entry(status=status, headers={"Location": location})
        return self.url(path)

    def fail(self, path: str, statuses: list[int]) -> None:
        with self.lock:
            self.entries[path].failures = list(statuses)

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.requests]

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()
