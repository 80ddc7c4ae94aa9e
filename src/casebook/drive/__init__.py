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

from casebook.drive.client import (
    FULL_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    DriveEndpoint,
    DriveError,
    _service,
)
from casebook.drive.download import EXPORTS, FOLDER, GOOGLE_APPS, SHORTCUT, download_folder
from casebook.drive.links import LinkKind, parse_drive_link
from casebook.drive.upload import RUN_PROPERTY, upload_report

__all__ = [
    "EXPORTS",
    "FOLDER",
    "FULL_SCOPE",
    "GOOGLE_APPS",
    "READ_SCOPE",
    "RUN_PROPERTY",
    "SHORTCUT",
    "WRITE_SCOPE",
    "DriveEndpoint",
    "DriveError",
    "LinkKind",
    "_service",
    "download_folder",
    "parse_drive_link",
    "upload_report",
]
