"""The server's settings, read through one adapter.

Every field below has the same name, type and `CASEBOOK_*` variable as the Field lines meant
for `casebook.config.Settings`. Until those lines are there, `server_settings` reads the
missing ones from the environment itself; afterwards the values come from Settings alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from limits import RateLimitItem, parse
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from casebook.config import Settings
from casebook.errors import ConfigError


class ServerSettings(BaseSettings):
    """`casebook serve`'s settings (the same names as in Settings, prefix CASEBOOK_)."""

    model_config = SettingsConfigDict(env_prefix="CASEBOOK_", extra="ignore")

    api_keys: SecretStr | None = Field(
        None,
        description="Bearer keys for /v1, comma-separated; none: the server refuses to start",
    )
    insecure_no_auth: bool = Field(False, description="Serve /v1 without API keys (local development only)")
    webhook_secret: SecretStr | None = Field(
        None, description="Standard Webhooks secret (whsec_…); unset: webhooks answer 503"
    )
    webhook_mappings_file: Path | None = Field(None, description="Per-source webhook field mappings (TOML)")
    cors_origins: str = Field("", description="Origins allowed by CORS, comma-separated; none by default")
    max_request_mb: float = Field(100.0, gt=0, description="Largest request body accepted, in MB")
    max_files_per_request: int = Field(100, ge=1, description="Most files in one submission")
    rate_limit_per_key: str = Field("600/minute", description="Requests per API key, e.g. 10/second")
    rate_limit_per_address: str = Field("1200/minute", description="Requests per client address")
    rate_limit_storage_url: str = Field(
        "memory://", description="Rate-limit counters: memory:// (one process) or redis://host:6379"
    )
    server_threads: int = Field(64, ge=4, description="Threads for blocking work (storage, database)")


def server_settings(settings: Settings) -> ServerSettings:
    """The server's settings: Settings' fields where it has them, else the environment."""
    present = {
        name: getattr(settings, name) for name in ServerSettings.model_fields if name in type(settings).model_fields
    }
    return ServerSettings(**present)


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
