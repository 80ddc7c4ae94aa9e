"""FakeDrive: a local Google Drive v3 server on loopback, for tests of casebook.drive.

It speaks the REST protocol google-api-python-client uses, over TLS with a certificate
made at start (the client is pointed at it with `client_options={"api_endpoint": ...}`;
the discovery client keeps `https` for media uploads, so the fake has to speak it):

    POST  /token                                    OAuth 2.0 JWT-bearer grant (service accounts)
    GET   /drive/v3/files                           files.list: q, pageSize, pageToken, fields,
                                                    supportsAllDrives, includeItemsFromAllDrives,
                                                    corpora, driveId
    GET   /drive/v3/files/{id}                      files.get (fields; alt=media for the content)
    GET   /drive/v3/files/{id}/export               files.export (mimeType)
    POST  /drive/v3/files, PATCH /drive/v3/files/{id}          metadata only
    POST  /upload/drive/v3/files?uploadType=multipart|media|resumable
    PATCH /upload/drive/v3/files/{id}?uploadType=...           update with new content
    PUT   <resumable session URI>                   chunks with Content-Range; 308 until complete

Access tokens carry the scopes of the JWT they were granted for, and the server enforces
them: drive.readonly cannot write; drive.file sees only the files this app created. JWTs
are checked against the public keys of the service-account files it wrote.

    with FakeDrive() as drive:
        creds = drive.service_account_file(tmp_path / "sa.json")
        folder = drive.add_folder("Acme")
        drive.add_file("notes.txt", b"hello", parent=folder)
        drive.add_google_file("Plan", parent=folder, kind="document", export=docx_bytes)
        sources, skipped = download_folder(drive.folder_link(folder), creds, ...,
                                           endpoint=drive.endpoint)
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
import secrets
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from casebook.drive import DriveEndpoint

__all__ = ["FakeDrive", "FakeFile", "make_tls_certificate"]

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


def make_tls_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for loopback (IP 127.0.0.1, ::1 and name localhost).

    Returns (certificate PEM, key PEM); the certificate is also the CA a client must trust.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casebook test server")])
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    if host not in ("127.0.0.1", "localhost", "::1"):
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# -- fields=... selection -------------------------------------------------------------------


def _parse_fields(text: str) -> dict[str, Any]:
    """`nextPageToken, files(id,name,shortcutDetails/targetId)` -> a selection tree."""
    tree: dict[str, Any] = {}
    stack = [tree]
    token = ""

    def flush() -> None:
        nonlocal token
        name = token.strip()
        token = ""
        if not name:
            return
        node = stack[-1]
        parts = name.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(parts[-1], None)

    for ch in text:
        if ch == ",":
            flush()
        elif ch == "(":
            name = token.strip()
            token = ""
            node = stack[-1]
            parts = name.split("/")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            child = node.get(parts[-1]) or {}
            node[parts[-1]] = child
            stack.append(child)
        elif ch == ")":
            flush()
            if len(stack) == 1:
                raise DriveHTTPError(400, "invalidParameter", f"Invalid field selection {text}")
            stack.pop()
        else:
            token += ch
    flush()
    if len(stack) != 1:
        raise DriveHTTPError(400, "invalidParameter", f"Invalid field selection {text}")
    return tree


def _select(value: Any, tree: dict[str, Any] | None) -> Any:
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [_select(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: _select(value[k], sub) for k, sub in tree.items() if k in value}


# -- q=... ------------------------------------------------------------------------------------

_STR = r"'((?:[^'\\]|\\.)*)'"
_CLAUSES: list[tuple[str, re.Pattern[str]]] = [
    ("parent", re.compile(_STR + r"\s+in\s+parents", re.I)),
    ("trashed", re.compile(r"trashed\s*(=|!=)\s*(true|false)", re.I)),
    ("field", re.compile(r"(mimeType|name)\s*(=|!=|contains)\s*" + _STR)),
    (
        "app",
        re.compile(
            r"appProperties\s+has\s*\{\s*key\s*=\s*"
            + _STR
            + r"\s+and\s+value\s*=\s*"
            + _STR
            + r"\s*\}"
        ),
    ),
]


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_query(q: str) -> list[tuple[str, tuple[str, ...]]]:
    """The subset of Drive's query language casebook uses, joined with `and`."""
    clauses: list[tuple[str, tuple[str, ...]]] = []
    rest = q.strip()
    while rest:
        for kind, pattern in _CLAUSES:
            match = pattern.match(rest)
            if match:
                clauses.append((kind, match.groups()))
                rest = rest[match.end() :].strip()
                break
        else:
            raise DriveHTTPError(400, "invalid", f"Invalid Value: q near {rest[:40]!r}")
        if rest:
            joined = re.match(r"and\s+", rest, re.I)
            if not joined:
                raise DriveHTTPError(400, "invalid", f"Invalid Value: q near {rest[:40]!r}")
            rest = rest[joined.end() :]
    return clauses


def _matches(item: FakeFile, clauses: list[tuple[str, tuple[str, ...]]]) -> bool:
    for kind, groups in clauses:
        if kind == "parent" and _unquote(groups[0]) not in item.parents:
            return False
        if kind == "trashed" and (item.trashed == (groups[1].lower() == "true")) != (
            groups[0] == "="
        ):
            return False
        if kind == "field":
            name, op, value = groups[0], groups[1], _unquote(groups[2])
            actual = item.mimeType if name == "mimeType" else item.name
            ok = value in actual if op == "contains" else actual == value
            if ok != (op != "!="):
                return False
        if kind == "app" and item.appProperties.get(_unquote(groups[0])) != _unquote(groups[1]):
            return False
    return True


# -- the server ------------------------------------------------------------------------------


class FakeDrive:
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
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def api_endpoint(self) -> str:
        return f"{self.base_url}/drive/v3/"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

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

    # -- credentials ----------------------------------------------------------------------

    def service_account_file(
        self, path: Path, *, email: str = "casebook-test@casebook-test.iam.gserviceaccount.com"
    ) -> Path:
        """Write a service-account JSON with a fresh RSA key whose token_uri is this server."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self._keys[email] = key.public_key()
        info = {
            "type": "service_account",
            "project_id": "casebook-test",
            "private_key_id": secrets.token_hex(20),
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": f"{self.base_url}/auth",
            "token_uri": self.token_uri,
            "universe_domain": "googleapis.com",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info))
        return path

    # -- content --------------------------------------------------------------------------

    def _new_id(self) -> str:
        return "1" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")

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

    # -- request handling ------------------------------------------------------------------

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != JWT_GRANT:
            raise _OAuthError("unsupported_grant_type", "only the JWT-bearer grant is served")
        assertion = form.get("assertion", "")
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64url_decode(header_b64))
            claims = json.loads(_b64url_decode(payload_b64))
        except (ValueError, json.JSONDecodeError):
            raise _OAuthError("invalid_grant", "malformed JWT") from None
        key = self._keys.get(claims.get("iss", ""))
        if header.get("alg") != "RS256" or key is None:
            raise _OAuthError("invalid_grant", "Invalid JWT Signature.")
        try:
            key.verify(
                _b64url_decode(signature_b64),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            raise _OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        now = dt.datetime.now(dt.UTC).timestamp()
        # google-auth addresses the JWT to Google's token endpoint whatever the token_uri
        audiences = (self.token_uri, GOOGLE_TOKEN_AUDIENCE)
        fresh = claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0)
        if claims.get("aud") not in audiences or not fresh:
            raise _OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise _OAuthError("invalid_scope", "no scope requested")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = scopes
            self.token_requests.append(claims)
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _scopes(self, headers: dict[str, str]) -> frozenset[str]:
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        scopes = self.tokens.get(token)
        if scopes is None:
            raise DriveHTTPError(
                401, "authError", "Request had invalid authentication credentials."
            )
        return scopes

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


class _OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


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
