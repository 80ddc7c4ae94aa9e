"""Plain text, Markdown, CSV and JSON: already-decoded text made into one page."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any

from casebook.documents.formats.records import render_records
from casebook.documents.pages import PageText, Unreadable, clean_text

_SNIFF_CHARS = 64_000


def _page(text: str) -> list[PageText]:
    text = clean_text(text)
    return [PageText(page=None, section=None, text=text)] if text else []


def extract_plain(text: str) -> list[PageText]:
    """TXT and MD: the text as it is (Markdown markup kept: it reads fine)."""
    return _page(text)


def _delimiter(text: str, tab_named: bool) -> str:
    sample = text[:_SNIFF_CHARS]
    if "\n" in sample:  # do not hand the sniffer a half line
        sample = sample[: sample.rfind("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return "\t" if tab_named else ","


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, one at a time (as io.StringIO(newline="") gives
    them, without its copy of the whole text: only the rows read are ever copied)."""
    return (match.group() for match in _LINE.finditer(text))


def extract_csv(text: str, *, name: str = "") -> list[PageText]:
    """A CSV file as JSON records, one per line, the header row giving the keys."""
    delimiter = _delimiter(text, name.lower().endswith(".tsv"))
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        rendered = render_records(reader, blank_key=lambda i: f"column_{i + 1}")
    except csv.Error as exc:
        raise Unreadable(f"malformed CSV: {exc}") from None
    return _page(rendered)


_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"\s*")


def _after_blank(text: str, position: int) -> int:
    match = _BLANK.match(text, position)
    return match.end() if match else position


def json_values(text: str) -> list[Any]:
    """Every JSON value in `text`: one document, JSON Lines, or values simply concatenated
    (`{...}{...}` or pretty-printed one after another). json.JSONDecodeError where any is broken."""
    values = []
    position = _after_blank(text, 0)
    while position < len(text):
        value, position = _DECODER.raw_decode(text, position)
        values.append(value)
        position = _after_blank(text, position)
    if not values:
        raise json.JSONDecodeError("Expecting value", text, 0)
    return values


def extract_json(text: str) -> list[PageText]:
    """JSON pretty-printed; a stream of values (JSON Lines, concatenated JSON) one value a line."""
    try:
        values = json_values(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise Unreadable("invalid JSON: nested too deeply to read") from None
    if len(values) == 1:
        return _page(json.dumps(values[0], indent=2, ensure_ascii=False))
    return _page("\n".join(json.dumps(v, ensure_ascii=False) for v in values))
