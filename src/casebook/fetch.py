"""Documents by URL: checked when a submission names them, downloaded when its run ingests.

    check_document_url("https://files.example.com/q3.pdf", allow_private=False)   # no I/O
    source = await download(RemoteDocument(url=…, name=…), FetchConfig.from_settings(settings))

Only https. The host is resolved once and every address checked (`casebook.netguard`: no
loopback, private, link-local, CGNAT or IPv4-in-IPv6 forms unless CASEBOOK_FETCH_ALLOW_PRIVATE),
and the connection goes to a checked address. Redirects (at most 5) are followed by hand, each
new URL checked again; a bearer token (a form provider's) goes only to the host it was given
for. The body is read in chunks and refused past the per-file cap, then sniffed like an upload.
Transient failures (connection trouble, timeouts, 408, 429, 5xx) are retried with backoff.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import unquote, urljoin

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from casebook.documents import Unreadable, detect_type
from casebook.errors import DownloadFailed, URLRefused
from casebook.models import SourceFile
from casebook.netguard import AddressPolicy, GuardedTransport, Refused, check_literal
from casebook.storage import safe_filename

MAX_URL_CHARS = 2048
MAX_REDIRECTS = 5
USER_AGENT = "casebook-fetch/1"
AUTH_KINDS = ("typeform",)  # the bearer tokens a document may be fetched with (from settings)


@dataclass(frozen=True)
class RemoteDocument:
    """A document a submission names by URL. `auth`: whose token to send (a form provider's)."""

    url: str
    name: str | None = None
    auth: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {"url": self.url, "name": self.name, "auth": self.auth}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> RemoteDocument:
        return cls(url=str(record["url"]), name=record.get("name"), auth=record.get("auth"))


@dataclass(frozen=True)
class FetchConfig:
    max_bytes: int
    allow_private: bool = False
    ca_file: str | None = None
    timeout_s: float = 30.0
    attempts: int = 3
    backoff_s: float = 1.0
    tokens: dict[str, str] = field(default_factory=dict)  # auth kind -> bearer token

    @classmethod
    def from_settings(cls, settings: Any) -> FetchConfig:
        token = settings.typeform_token.get_secret_value() if settings.typeform_token else None
        return cls(
            max_bytes=int(settings.max_file_mb * 1024 * 1024),
            allow_private=settings.fetch_allow_private,
            ca_file=str(settings.fetch_ca_file) if settings.fetch_ca_file else None,
            timeout_s=settings.fetch_timeout_s,
            attempts=settings.fetch_attempts,
            tokens={"typeform": token} if token else {},
        )


def policy(allow_private: bool) -> AddressPolicy:
    return AddressPolicy(allow_loopback=allow_private, allow_private=allow_private)


def shown(url: str) -> str:
    """scheme://host/path: never the query or user info, which may carry a token."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


def check_document_url(url: str, *, allow_private: bool) -> httpx.URL:
    """https, a host, not too long, and no forbidden address literal; raises URLRefused."""
    if not isinstance(url, str) or not url.strip():
        raise URLRefused("a document URL must be a non-empty https:// URL")
    if len(url) > MAX_URL_CHARS:
        raise URLRefused(f"a document URL may be at most {MAX_URL_CHARS} characters")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise URLRefused(f"not a URL: {exc}") from None
    if parsed.scheme != "https" or not parsed.host:
        raise URLRefused(f"{shown(url)}: document URLs must be https://")
    try:
        check_literal(parsed.host, policy(allow_private))
    except Refused as exc:
        raise URLRefused(f"{shown(url)}: {exc}") from None
    if not allow_private and (parsed.host == "localhost" or parsed.host.endswith(".localhost")):
        raise URLRefused(f"{shown(url)}: localhost is loopback (CASEBOOK_FETCH_ALLOW_PRIVATE=true allows it)")
    return parsed


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, DownloadFailed) and exc.transient


async def download(document: RemoteDocument, config: FetchConfig) -> SourceFile:
    """The document's bytes and name; DownloadFailed (or URLRefused) with a reason otherwise."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(1, config.attempts)),
        wait=wait_exponential(multiplier=config.backoff_s, max=30),
        retry=retry_if_exception(_transient),
        reraise=True,
    )
    transport = GuardedTransport(
        policy(config.allow_private), ca_file=config.ca_file, make_error=URLRefused, max_connections=4
    )
    timeout = httpx.Timeout(config.timeout_s)
    async with httpx.AsyncClient(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        async for attempt in retrying:
            with attempt:
                return await _get(client, document, config)
    raise AssertionError("unreachable")  # pragma: no cover - tenacity re-raises the last error


async def _get(client: httpx.AsyncClient, document: RemoteDocument, config: FetchConfig) -> SourceFile:
    url = document.url.strip()
    origin = check_document_url(url, allow_private=config.allow_private).host
    token = config.tokens.get(document.auth or "")
    for _ in range(MAX_REDIRECTS + 1):
        parsed = check_document_url(url, allow_private=config.allow_private)
        headers = {"user-agent": USER_AGENT, "accept": "*/*"}
        if token and parsed.host == origin:  # a token never follows a redirect to another host
            headers["authorization"] = f"Bearer {token}"
        try:
            async with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise DownloadFailed(f"{shown(url)} answered HTTP {response.status_code} with no Location")
                    url = urljoin(url, location)
                    continue
                _check_status(url, response.status_code)
                data = await _read_capped(url, response, config.max_bytes)
                name = _name(document, url, response)
        except httpx.TimeoutException:
            raise DownloadFailed(f"{shown(url)} did not answer in time", transient=True) from None
        except httpx.TransportError as exc:
            raise DownloadFailed(f"cannot reach {shown(url)}: {type(exc).__name__}", transient=True) from None
        try:
            detect_type(name, data)
        except Unreadable as exc:
            raise DownloadFailed(exc.reason) from None
        return SourceFile(name=name, data=data)
    raise DownloadFailed(f"{shown(document.url)}: more than {MAX_REDIRECTS} redirects")


def _check_status(url: str, code: int) -> None:
    if 200 <= code < 300:
        return
    message = f"{shown(url)} answered HTTP {code}"
    if code in (408, 429) or code >= 500:
        raise DownloadFailed(message, transient=True)
    if code in (401, 403):
        message += " (the link may have expired, or needs a token: CASEBOOK_TYPEFORM_TOKEN for Typeform files)"
    raise DownloadFailed(message)


async def _read_capped(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    too_big = DownloadFailed(f"{shown(url)} is over the {max_bytes / 1_048_576:g} MB limit per file")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise too_big
    return bytes(body)


def _name(document: RemoteDocument, url: str, response: httpx.Response) -> str:
    """The given name, else the server's Content-Disposition file name, else the URL's last part."""
    name = (document.name or "").strip()
    if not name:
        disposition = response.headers.get("content-disposition")
        if disposition:
            message = Message()
            message["content-disposition"] = disposition
            name = str(message.get_filename() or "")
    if not name:
        name = unquote(httpx.URL(url).path.rstrip("/").rsplit("/", 1)[-1])
    name = safe_filename(name or "document")
    if "." not in name.strip("."):
        media = response.headers.get("content-type", "").split(";", 1)[0].strip()
        extension = mimetypes.guess_extension(media) if media else None
        if extension:
            name += extension
    return name
