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

from casebook.testing.fake_drive.certs import make_tls_certificate
from casebook.testing.fake_drive.query import parse_query as parse_query
from casebook.testing.fake_drive.server import FakeDrive
from casebook.testing.fake_drive.state import DEFAULT_FIELDS as DEFAULT_FIELDS
from casebook.testing.fake_drive.state import DEFAULT_LIST_FIELDS as DEFAULT_LIST_FIELDS
from casebook.testing.fake_drive.state import FOLDER as FOLDER
from casebook.testing.fake_drive.state import GOOGLE_TOKEN_AUDIENCE as GOOGLE_TOKEN_AUDIENCE
from casebook.testing.fake_drive.state import GOOGLE_TYPES as GOOGLE_TYPES
from casebook.testing.fake_drive.state import JWT_GRANT as JWT_GRANT
from casebook.testing.fake_drive.state import SCOPE_PREFIX as SCOPE_PREFIX
from casebook.testing.fake_drive.state import SHORTCUT as SHORTCUT
from casebook.testing.fake_drive.state import DriveHTTPError as DriveHTTPError
from casebook.testing.fake_drive.state import FakeFile
from casebook.testing.fake_drive.state import RecordedRequest as RecordedRequest

__all__ = ["FakeDrive", "FakeFile", "make_tls_certificate"]
