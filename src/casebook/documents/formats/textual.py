"""Plain text, Markdown, CSV and JSON: already-decoded text made into one page."""

from __future__ import annotations

import csv
import io
import json

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


def extract_csv(text: str, *, name: str = "") -> list[PageText]:
    """A CSV file as JSON records, one per line, the header row giving the keys."""
    delimiter = _delimiter(text, name.lower().endswith(".tsv"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rendered = render_records(reader, blank_key=lambda i: f"column_{i + 1}")
    except csv.Error as exc:
        raise Unreadable(f"malformed CSV: {exc}") from None
    return _page(rendered)


def extract_json(text: str) -> list[PageText]:
    """JSON pretty-printed; JSON Lines (one value per line) each value on its own line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            values = [json.loads(line) for line in lines] if len(lines) > 1 else None
        except json.JSONDecodeError:
            values = None
        if values is None:
            raise Unreadable(
                f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        return _page("\n".join(json.dumps(v, ensure_ascii=False) for v in values))
    except RecursionError:
        raise Unreadable("invalid JSON: nested too deeply to read") from None
    return _page(json.dumps(value, indent=2, ensure_ascii=False))
