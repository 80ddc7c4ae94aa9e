"""The brand settings (CASEBOOK_BRAND_*) as the web app shows them: name, logo, and colours
turned into a stylesheet whose text keeps WCAG AA contrast whatever the colours are."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from casebook.config import Settings
from casebook.errors import ConfigError

_LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
MAX_LOGO_BYTES = 2 * 1024 * 1024


def luminance(colour: str) -> float:
    """Relative luminance of #rrggbb (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on(background: str) -> str:
    """Black or white, whichever reads better on the background."""
    return "#000000" if contrast(background, "#000000") >= contrast(background, "#ffffff") else "#ffffff"


def text_colour(colour: str, background: str = "#ffffff", minimum: float = 4.5) -> str:
    """The colour itself when it reads on the background (AA, 4.5:1), else darkened until it does."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    for _ in range(40):
        candidate = f"#{r:02x}{g:02x}{b:02x}"
        if contrast(candidate, background) >= minimum:
            return candidate
        r, g, b = (int(c * 0.9) for c in (r, g, b))
    return "#000000"


@dataclass(frozen=True)
class Brand:
    name: str
    primary: str
    accent: str
    logo: bytes | None
    logo_type: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Brand:
        logo, logo_type = _read_logo(settings.brand_logo)
        return cls(settings.brand_name, settings.brand_primary, settings.brand_accent, logo, logo_type)

    def stylesheet(self) -> str:
        return (
            ":root{"
            f"--brand:{self.primary};--brand-text:{text_colour(self.primary)};"
            f"--on-brand:{readable_on(self.primary)};"
            f"--accent:{self.accent};--accent-text:{text_colour(self.accent)};"
            "}\n"
        )


def _read_logo(path: Path | None) -> tuple[bytes | None, str | None]:
    if path is None:
        return None, None
    kind = mimetypes.guess_type(path.name)[0]
    if kind not in _LOGO_TYPES:
        raise ConfigError(f"CASEBOOK_BRAND_LOGO {path.name}: use a PNG, JPEG, GIF, WebP or SVG file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read CASEBOOK_BRAND_LOGO {path}: {exc.strerror}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ConfigError(f"CASEBOOK_BRAND_LOGO {path.name} is over 2 MB: use a smaller image")
    return data, kind
