"""Bytes to text: UTF-8, UTF-16 with a BOM, else a careful guess; None for binary data."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_SAMPLE_CHARS = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x84\x86-\x9f]")
_MAX_CONTROL_SHARE = 0.01
# A Latin-1 symbol between two letters ("Za¿ó³æ") is cp1250/others misread as cp1252.
_MOJIBAKE = re.compile(r"[^\W\d_][\xa1-\xa9\xab-\xb4\xb6-\xb9\xbb-\xbf][^\W\d_]")
_MULTIBYTE = ("utf", "gb", "big5", "cp932", "cp949", "cp950", "shift_jis", "euc", "iso2022", "hz")


def looks_textual(text: str) -> bool:
    """Few control characters: text, not binary data that happened to decode."""
    sample = text[:_SAMPLE_CHARS]
    if "\x00" in sample:
        return False
    return len(_CONTROL.findall(sample)) <= _MAX_CONTROL_SHARE * max(len(sample), 1)


def _plausible_western(text: str) -> bool:
    """cp1252 reading that looks like real Western text: mostly ASCII letters, no mojibake."""
    sample = text[:_SAMPLE_CHARS]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return True
    accented = sum(1 for c in letters if c > "\x7f")
    return accented <= 0.3 * len(letters) and not _MOJIBAKE.search(sample)


def decode_text(data: bytes) -> str | None:
    """The text in `data`, or None where it is not text (NUL bytes, undecodable, binary)."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None
            return text if looks_textual(text) else None
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text if looks_textual(text) else None
    return _guess(data)


def _guess(data: bytes) -> str | None:
    best = from_bytes(data).best()
    if best is None:
        return None
    guessed = str(best)
    single_byte = not best.encoding.lower().replace("-", "_").startswith(_MULTIBYTE)
    if single_byte:
        # charset-normalizer guesses short Western text poorly (cp1250, cp1125, …):
        # prefer Windows-1252, the commonest legacy encoding, where it reads plausibly.
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None and _plausible_western(western):
            guessed = western
    return guessed if looks_textual(guessed) else None
