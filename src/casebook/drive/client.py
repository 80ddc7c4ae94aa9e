"""The Drive API client: scopes, service-account credentials, and error translation.

Scopes are the narrowest that work: drive.readonly to read, drive.file to write.
The client is built from the discovery document bundled with google-api-python-client
(no network for discovery); `DriveEndpoint` points it somewhere else than Google (tests).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casebook.errors import ConfigError, DriveError
from casebook.extras import require

READ_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
WRITE_SCOPE = "https://www.googleapis.com/auth/drive.file"
FULL_SCOPE = "https://www.googleapis.com/auth/drive"

_RETRIES = 3  # the client's own retries of 429 and 5xx, with exponential backoff


@dataclass(frozen=True)
class DriveEndpoint:
    """Where the Drive API is, when it is not Google (a test server or an emulator)."""

    api_url: str  # the service root, e.g. https://127.0.0.1:8443/drive/v3/
    ca_certs: str | None = None  # a CA bundle to trust instead of the system's
    timeout_s: float = 60.0


def _service(
    credentials_file: str | Path, scopes: list[str], endpoint: DriveEndpoint | None
) -> Any:
    require("drive", "Google Drive")
    import google_auth_httplib2
    import httplib2
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    path = Path(credentials_file)
    try:
        credentials = service_account.Credentials.from_service_account_file(
            str(path), scopes=scopes
        )
    except FileNotFoundError:
        raise ConfigError(
            f"the Drive service-account file {path} does not exist: "
            "set CASEBOOK_DRIVE_CREDENTIALS_FILE to the JSON key of a service account"
        ) from None
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a service-account JSON key: {exc}") from None
    http = httplib2.Http(
        timeout=int(endpoint.timeout_s) if endpoint else 60,
        ca_certs=endpoint.ca_certs if endpoint else None,
    )
    # Drive answers 308 to a resumable-upload chunk: that is progress, not a redirect.
    http.redirect_codes = http.redirect_codes - {308}
    authed = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    options = {"api_endpoint": endpoint.api_url} if endpoint else None
    return build(
        "drive",
        "v3",
        http=authed,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def _client_email(credentials_file: str | Path) -> str:
    try:
        return str(
            json.loads(Path(credentials_file).read_text()).get("client_email")
            or "the service account"
        )
    except (OSError, ValueError):
        return "the service account"


class _Calls:
    """Runs API requests, turning the client's errors into casebook's."""

    def __init__(self, credentials_file: str | Path) -> None:
        self.credentials_file = credentials_file
        self.email = _client_email(credentials_file)

    def __call__(self, request: Any, *, what: str) -> Any:
        import google.auth.exceptions
        import httplib2
        from googleapiclient.errors import HttpError

        try:
            return request.execute(num_retries=_RETRIES)
        except HttpError as exc:
            raise _http_error(exc, what, self.email) from None
        except google.auth.exceptions.RefreshError as exc:
            raise ConfigError(
                f"Google refused the service account in {self.credentials_file}: {_short(exc)}. "
                "Check the key is current and the Drive API is enabled for its project"
            ) from None
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise DriveError(f"cannot reach Google Drive ({what}): {_short(exc)}") from None


class _HttpFailure(DriveError):
    def __init__(self, message: str, status: int, reason: str) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason


def _http_error(exc: Any, what: str, email: str) -> _HttpFailure:
    status = int(getattr(exc.resp, "status", 0) or 0)
    reason, message = "", str(exc)
    try:
        body = json.loads(exc.content)
        error = body.get("error", {})
        message = error.get("message") or message
        reason = (error.get("errors") or [{}])[0].get("reason", "")
    except (ValueError, AttributeError, TypeError):
        pass
    return _HttpFailure(
        f"Google Drive refused {what}: HTTP {status} {reason} {message}".strip(), status, reason
    )


def _short(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:300]
