"""Where a run's final files go: the destinations, their outcomes and the settings they use.

A destination is written `kind:target` in settings and submissions:

    folder                       the configured folder (CASEBOOK_DELIVER_FOLDER)
    folder:<path>                a local folder (from a submission: a sub-folder of the above)
    drive  |  drive:<folder link>  |  <a Drive folder link>
    s3     |  s3://bucket/prefix    (from a submission: only a bucket in CASEBOOK_DELIVER_S3_BUCKETS,
                                     a prefix under CASEBOOK_DELIVER_S3_ALLOWED, or CASEBOOK_DELIVER_S3_URL)
    callback  |  callback:<url>     a Standard Webhooks-signed POST when the run ends (from a
                                     submission: ports 443 and 80 unless CASEBOOK_CALLBACK_ALLOWED_PORTS
                                     says more, no loopback or private address unless allowed)

or as a mapping such as {"kind": "s3", "url": "s3://bucket/prefix"}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from casebook.drive import WRITE_SCOPE, DriveEndpoint, parse_drive_link
from casebook.errors import CallbackRefused, ConfigError, InputError


class FolderTarget(BaseModel):
    kind: Literal["folder"] = "folder"
    path: str = Field(min_length=1)

    @property
    def label(self) -> str:
        return f"folder:{Path(self.path).expanduser().resolve()}"


class DriveTarget(BaseModel):
    kind: Literal["drive"] = "drive"
    folder: str = Field(description="Link of the Drive folder to upload into")

    @field_validator("folder")
    @classmethod
    def _drive_folder(cls, value: str) -> str:
        kind, _ = parse_drive_link(value)
        if kind == "file":
            raise ValueError("is a file link: give the link of a Drive folder")
        return value

    @property
    def label(self) -> str:
        return f"drive:{parse_drive_link(self.folder)[1]}"


class S3Target(BaseModel):
    kind: Literal["s3"] = "s3"
    url: str

    @field_validator("url")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        bucket = value.removeprefix("s3://").split("/", 1)[0]
        if not value.startswith("s3://") or not bucket:
            raise ValueError("must be s3://bucket or s3://bucket/prefix")
        return value.rstrip("/")

    @property
    def label(self) -> str:
        return self.url


class CallbackTarget(BaseModel):
    kind: Literal["callback"] = "callback"
    url: str
    # Named by a submission rather than by the operator: the stricter rules apply when sending.
    from_submission: bool = Field(False, exclude=True)

    @field_validator("url")
    @classmethod
    def _callback_url(cls, value: str) -> str:
        from casebook.deliver.callback import check_url

        try:  # the address rules are applied again, in full, when sending
            check_url(value, allow_private=True)
        except CallbackRefused as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def label(self) -> str:
        from casebook.deliver.callback import redact_url

        return f"callback:{redact_url(self.url)}"


Destination = Annotated[FolderTarget | DriveTarget | S3Target | CallbackTarget, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[Destination] = TypeAdapter(Destination)


@dataclass(frozen=True)
class DeliveryConfig:
    """Everything delivery needs from settings; `from_settings` reads casebook's Settings."""

    folder: Path = Path("reports")
    drive_folder: str | None = None
    drive_credentials_file: Path | None = None
    drive_scope: str = WRITE_SCOPE
    drive_endpoint: DriveEndpoint | None = None
    s3_url: str | None = None
    s3_allowed: tuple[str, ...] = ()  # prefixes a submission may name
    s3_buckets: tuple[str, ...] = ()  # whole buckets a submission may name
    s3_storage_options: dict[str, Any] = field(default_factory=dict)
    callback_url: str | None = None
    callback_secret: str | None = None
    callback_allow_private: bool = False
    callback_ports: frozenset[int] | None = frozenset({80, 443})  # for a submission's URL; None: any
    callback_timeout_s: float = 10.0
    callback_attempts: int = 5
    callback_backoff_s: float = 1.0
    callback_max_backoff_s: float = 60.0
    callback_ca_certs: str | None = None  # trust this CA bundle for https callbacks (tests)

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        """Built from Settings; a field Settings does not have yet keeps its default here."""

        def get(name: str, default: Any = None) -> Any:
            value = getattr(settings, name, default)
            return value.get_secret_value() if hasattr(value, "get_secret_value") else value

        defaults = cls()
        scope = get("drive_upload_scope", "drive.file")
        return cls(
            folder=Path(get("deliver_folder", defaults.folder)),
            drive_folder=get("deliver_drive_folder"),
            drive_credentials_file=get("drive_credentials_file"),
            drive_scope=f"https://www.googleapis.com/auth/{scope}",
            s3_url=get("deliver_s3_url"),
            s3_allowed=tuple(split_items(get("deliver_s3_allowed"))),
            s3_buckets=tuple(b.removeprefix("s3://").strip("/") for b in split_items(get("deliver_s3_buckets"))),
            callback_url=get("callback_url"),
            callback_secret=get("callback_secret"),
            callback_allow_private=bool(get("callback_allow_private", False)),
            callback_ports=parse_ports(get("callback_allowed_ports", "80,443")),
            callback_timeout_s=float(get("callback_timeout_s", defaults.callback_timeout_s)),
            callback_attempts=int(get("callback_attempts", defaults.callback_attempts)),
            callback_backoff_s=float(get("callback_backoff_s", defaults.callback_backoff_s)),
        )


def parse_ports(value: str | None) -> frozenset[int] | None:
    """`80,443` → those ports; `*` or `any` → None (every port)."""
    text = (value or "").strip().lower()
    if text in ("*", "any"):
        return None
    try:
        ports = frozenset(int(p) for p in split_items(text))
    except ValueError:
        raise ConfigError(
            f"CASEBOOK_CALLBACK_ALLOWED_PORTS {value!r} is not a list of ports such as 443,80 (or *)"
        ) from None
    if any(not 0 < p < 65536 for p in ports):
        raise ConfigError(f"CASEBOOK_CALLBACK_ALLOWED_PORTS {value!r} holds a port outside 1-65535")
    return ports


def split_items(value: str | Iterable[str] | None) -> list[str]:
    """A list setting: a JSON list, or comma-separated (use JSON for URLs holding commas)."""
    if value is None:
        return []
    if not isinstance(value, str):
        return [str(v) for v in value]
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not a JSON list: {text[:80]!r} ({exc})") from None
        return [str(v).strip() for v in items if str(v).strip()]
    return [part.strip() for part in text.split(",") if part.strip()]


def destinations_for(settings: Any, requested: Iterable[str | dict[str, Any]] | None = None) -> list[Destination]:
    """A run's destinations: the submission's own list when it gives one, else the settings'.

    Reads `deliver` (default "folder") and the fields `DeliveryConfig.from_settings` reads.
    """
    config = DeliveryConfig.from_settings(settings)
    if requested is not None:
        return parse_destinations(requested, config, untrusted=True)
    return parse_destinations(split_items(getattr(settings, "deliver", "folder")), config)


def parse_destinations(
    items: Iterable[str | dict[str, Any]], config: DeliveryConfig, *, untrusted: bool = False
) -> list[Destination]:
    """Destinations from settings or a submission; duplicates (same label) are dropped.

    `untrusted` is for a submission's list: local folders must lie inside the configured
    folder and S3 prefixes under an allowed one. Raises InputError (untrusted) or
    ConfigError (settings) naming the bad entry.
    """
    error = InputError if untrusted else ConfigError
    found: dict[str, Destination] = {}
    for item in items:
        try:
            destination = _parse_one(item, config, untrusted=untrusted)
        except (ValueError, InputError) as exc:
            message = _validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            raise error(f"delivery destination {_shown(item)}: {message}") from None
        found.setdefault(destination.label, destination)
    return list(found.values())


def _parse_one(item: str | dict[str, Any], config: DeliveryConfig, *, untrusted: bool) -> Destination:
    if isinstance(item, dict):
        defaults = {
            "folder": ("path", str(config.folder)),
            "drive": ("folder", config.drive_folder),
            "s3": ("url", config.s3_url),
            "callback": ("url", config.callback_url),
        }
        key, default = defaults.get(str(item.get("kind")), ("", None))
        if key and item.get(key) is None and default is not None:  # {"kind": "folder"}: as "folder"
            item = {**item, key: default}
        destination = _ADAPTER.validate_python(item)
    else:
        destination = _from_text(item.strip(), config)
    if untrusted:
        destination = _confine(destination, config)
    return destination


def _from_text(text: str, config: DeliveryConfig) -> Destination:
    kind, sep, target = text.partition(":")
    if text.startswith("s3://"):
        return S3Target(url=text)
    if text.startswith(("https://drive.google.com/", "https://docs.google.com/")):
        return DriveTarget(folder=text)
    if sep and kind in ("folder", "drive", "s3", "callback") and not target.strip():
        raise ValueError(f"nothing after '{kind}:'")
    if kind == "folder":
        return FolderTarget(path=target.strip() if sep else str(config.folder))
    if kind == "drive":
        link = target.strip() if sep else config.drive_folder
        if not link:
            raise ValueError("no Drive folder: write drive:<folder link> or set CASEBOOK_DELIVER_DRIVE_FOLDER")
        return DriveTarget(folder=link)
    if kind == "s3" and not sep:
        if not config.s3_url:
            raise ValueError("no S3 prefix: write s3://bucket/prefix or set CASEBOOK_DELIVER_S3_URL")
        return S3Target(url=config.s3_url)
    if kind == "callback":
        url = target.strip() if sep else config.callback_url
        if not url:
            raise ValueError("no URL: write callback:https://… or set CASEBOOK_CALLBACK_URL")
        return CallbackTarget(url=url)
    raise ValueError("unknown kind: use folder, drive, s3://bucket/prefix or callback:<url>")


def _confine(destination: Destination, config: DeliveryConfig) -> Destination:
    if isinstance(destination, FolderTarget):
        root = config.folder.expanduser().resolve()
        given = PurePosixPath(destination.path.replace("\\", "/"))
        if Path(destination.path).expanduser().resolve() == root:
            return destination
        if given.is_absolute() or any(p in ("..", "") for p in given.parts) or not given.parts:
            raise InputError("a submission may only name a sub-folder of the delivery folder (no '..', not absolute)")
        inside = root.joinpath(*given.parts)
        if not inside.resolve().is_relative_to(root):  # a symbolic link inside pointing out
            raise InputError("a submission may only name a sub-folder of the delivery folder")
        return FolderTarget(path=str(inside))
    if isinstance(destination, S3Target):
        allowed = [a.rstrip("/") for a in config.s3_allowed]
        if config.s3_url:
            allowed.append(config.s3_url.rstrip("/"))
        bucket = destination.url.removeprefix("s3://").split("/", 1)[0]
        if bucket not in config.s3_buckets and not any(
            destination.url == a or destination.url.startswith(a + "/") for a in allowed
        ):
            raise InputError(
                f"S3 bucket {bucket!r} is not one a submission may deliver to "
                "(CASEBOOK_DELIVER_S3_BUCKETS, CASEBOOK_DELIVER_S3_ALLOWED)"
            )
    if isinstance(destination, CallbackTarget):
        from casebook.deliver.callback import check_url

        try:
            check_url(
                destination.url,
                allow_private=config.callback_allow_private,
                allow_loopback=False,
                ports=config.callback_ports,
            )
        except CallbackRefused as exc:
            raise InputError(str(exc)) from None
        return destination.model_copy(update={"from_submission": True})
    return destination


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors(include_url=False))


def _shown(item: str | dict[str, Any]) -> str:
    from casebook.deliver.callback import redact_url

    text = item if isinstance(item, str) else str(item.get("url") or item.get("path") or item.get("folder") or item)
    return repr(redact_url(text) if "://" in text else text)[:160]
