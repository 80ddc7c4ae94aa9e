"""The server's options, resolved and checked from Settings once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from limits import RateLimitItem, parse

from casebook.config import Settings
from casebook.errors import ConfigError

ServerSettings = Settings  # the server's settings are fields of the one Settings object


def server_settings(settings: Settings) -> Settings:
    return settings


@dataclass(frozen=True)
class ServerOptions:
    """Resolved, checked options the app runs with."""

    api_keys: tuple[bytes, ...]
    webhook_secret: str | None
    webhook_mappings_file: Path | None
    cors_origins: tuple[str, ...]
    max_request_bytes: int
    max_file_bytes: int
    max_files: int
    limit_per_key: RateLimitItem
    limit_per_address: RateLimitItem
    rate_limit_storage_url: str
    threads: int
    auth_required: bool


def resolve_options(settings: Settings, server: ServerSettings | None = None) -> ServerOptions:
    """Check the settings; refuse to serve without API keys unless told so explicitly."""
    server = server or server_settings(settings)
    raw = server.api_keys.get_secret_value() if server.api_keys else ""
    keys = tuple(k.strip().encode() for k in raw.split(",") if k.strip())
    if any(len(k) < 16 for k in keys):
        raise ConfigError("every key in CASEBOOK_API_KEYS must be at least 16 characters (e.g. `openssl rand -hex 24`)")
    if not keys and not server.insecure_no_auth:
        raise ConfigError(
            "no API keys: set CASEBOOK_API_KEYS (comma-separated bearer keys), or pass "
            "--insecure-no-auth (CASEBOOK_INSECURE_NO_AUTH=true) to serve /v1 without "
            "authentication on a trusted network"
        )
    secret = server.webhook_secret.get_secret_value() if server.webhook_secret else None
    if secret is not None and not secret.startswith("whsec_"):
        raise ConfigError("CASEBOOK_WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_ followed by base64")
    return ServerOptions(
        api_keys=keys,
        webhook_secret=secret,
        webhook_mappings_file=server.webhook_mappings_file,
        cors_origins=tuple(o.strip().rstrip("/") for o in server.cors_origins.split(",") if o.strip()),
        max_request_bytes=int(server.max_request_mb * 1024 * 1024),
        max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
        max_files=server.max_files_per_request,
        limit_per_key=_limit(server.rate_limit_per_key, "CASEBOOK_RATE_LIMIT_PER_KEY"),
        limit_per_address=_limit(server.rate_limit_per_address, "CASEBOOK_RATE_LIMIT_PER_ADDRESS"),
        rate_limit_storage_url=server.rate_limit_storage_url,
        threads=server.server_threads,
        auth_required=bool(keys),
    )


def _limit(text: str, variable: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(f"{variable} {text!r} is not a rate such as 600/minute or 10/second") from None
