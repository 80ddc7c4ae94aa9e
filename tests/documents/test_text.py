"""Text-like formats: TXT, MD, CSV, JSON, HTML, and text in legacy encodings."""

from __future__ import annotations

import codecs
import json
import random

import pytest

from casebook.config import Settings
from casebook.documents import Unreadable, detect_type, extract_pages
from casebook.documents.formats.records import render_records

SETTINGS = Settings()


def only_text(name: str, data: bytes) -> str:
    pages = extract_pages(name, data, SETTINGS)
    assert len(pages) == 1
    assert pages[0].page is None and pages[0].section is None
    return pages[0].text


def reason(name: str, data: bytes) -> str:
    with pytest.raises(Unreadable) as caught:
        extract_pages(name, data, SETTINGS)
    return caught.value.reason


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Café – Zürich", "cp1252"),
        ("Straße über Ärger; Größe 5 €.", "cp1252"),
        ("Déjà vu à Genève, naïve façade.", "latin-1"),
        ("Отчёт о продажах за третий квартал: выручка выросла.", "cp1251"),
        ("Café – Zürich", "utf-16"),
        ("Café – Zürich", "utf-8-sig"),
        ("Café – Zürich", "utf-8"),
    ],
)
def test_text_in_any_common_encoding_comes_out_right(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    if encoding == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert detect_type("note.txt", data) == "txt"
    assert only_text("note.txt", data) == text


def test_markdown_and_text_are_told_apart_by_extension() -> None:
    data = b"# Title\n\nSome *emphasis*.\r\n"
    assert detect_type("readme.md", data) == "md"
    assert detect_type("readme.txt", data) == "txt"
    assert only_text("readme.md", data) == "# Title\n\nSome *emphasis*."


def test_binary_garbage_named_txt() -> None:
    data = random.Random(7).randbytes(4096)
    assert "not a text file despite its name" in reason("notes.txt", data)
    assert "binary data" in reason("notes", data)
    assert "binary data" in reason("nul.txt", b"hello\x00world\x00again")


def test_whitespace_only_text_has_no_text() -> None:
    assert "no text" in reason("blank.txt", b"  \n\t\n ")


def test_csv_becomes_json_records() -> None:
    data = b'name,amount,note\nAcme,1200.50,"big, loyal"\nBeta,3,\n\nGamma,,x,extra\n'
    assert detect_type("sales.csv", data) == "csv"
    lines = only_text("sales.csv", data).splitlines()
    assert lines[0] == "name | amount | note"  # the header row, as a reader sees it
    assert [json.loads(line) for line in lines[1:]] == [
        {"name": "Acme", "amount": "1200.50", "note": "big, loyal"},
        {"name": "Beta", "amount": "3"},
        {"name": "Gamma", "note": "x", "column_4": "extra"},
    ]


def test_csv_delimiter_is_sniffed() -> None:
    data = "Stadt;Umsatz\nZürich;1.200\nBern;950\n".encode("cp1252")
    lines = only_text("umsatz.csv", data).splitlines()
    assert lines[0] == "Stadt | Umsatz"
    assert json.loads(lines[1]) == {"Stadt": "Zürich", "Umsatz": "1.200"}


def test_csv_found_by_content_but_extension_breaks_the_tie() -> None:
    data = b"a,b,c\n1,2,3\n4,5,6\n"
    assert detect_type("export", data) == "csv"
    assert detect_type("export.txt", data) == "txt"
    assert detect_type("export.csv", data) == "csv"


def test_table_row_cap() -> None:
    rows = [["k", "v"]] + [[str(i), str(i * 2)] for i in range(10)]
    lines = render_records(rows, blank_key=str, max_rows=3).splitlines()
    assert len(lines) == 5 and lines[0] == "k | v"
    assert lines[-1] == "[rows after the first 3 were not read]"


def test_json_is_pretty_printed() -> None:
    data = '{"company": "Zürich AG", "revenue": [1, 2.5]}'.encode()
    assert detect_type("data.json", data) == "json"
    assert detect_type("data.txt", data) == "json"  # content first
    text = only_text("data.json", data)
    assert text == json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    assert "Zürich AG" in text


def test_json_lines() -> None:
    data = b'{"a": 1}\n{"a": 2}\n'
    assert detect_type("rows.jsonl", data) == "json"
    assert only_text("rows.jsonl", data) == '{"a": 1}\n{"a": 2}'


def test_concatenated_json_is_read_value_by_value() -> None:
    pretty = b'{\n  "depot": "Leeds",\n  "trucks": 41\n}\n{\n  "depot": "York",\n  "trucks": 17\n}\n'
    packed = b'{"depot": "Leeds", "trucks": 41}{"depot": "York", "trucks": 17} [1, 2]'
    for name in ("export.json", "export.txt", "export"):
        assert detect_type(name, pretty) == "json"
        assert only_text(name, pretty) == '{"depot": "Leeds", "trucks": 41}\n{"depot": "York", "trucks": 17}'
    assert only_text("packed.json", packed).splitlines() == [
        '{"depot": "Leeds", "trucks": 41}', '{"depot": "York", "trucks": 17}', "[1, 2]"
    ]
    lines_with_a_pretty_one = b'{"a": 1}\n{\n "b": 2\n}\n'
    assert only_text("mixed.jsonl", lines_with_a_pretty_one) == '{"a": 1}\n{"b": 2}'


def test_invalid_json_named_json() -> None:
    assert "invalid JSON" in reason("broken.json", b'{"a": 1,')
    assert "line 1" in reason("broken.json", b'{"a": 1,')


def test_html_keeps_text_and_drops_scripts_styles_navigation() -> None:
    data = b"""<!DOCTYPE html><html><head><title>Acme  Report</title>
    <style>body { color: red }</style><script>var secret = 1;</script></head>
    <body><nav><a href="/">Home</a> <a href="/x">Menu item</a></nav>
    <h1>Results</h1><p>Revenue <b>grew</b> by 12%.</p>
    <ul><li>first point</li><li>second point</li></ul>
    <table><tr><th>Region</th><th>Sales</th></tr><tr><td>EMEA</td><td>120</td></tr></table>
    <script>alert("no")</script></body></html>"""
    assert detect_type("page.html", data) == "html"
    assert detect_type("page.txt", data) == "html"
    text = only_text("page.html", data)
    assert text.splitlines() == [
        "Acme Report",
        "",
        "Results",
        "",
        "Revenue grew by 12%.",
        "",
        "- first point",
        "- second point",
        "",
        "Region | Sales",
        "EMEA | 120",
    ]
    for dropped in ("secret", "color", "Menu item", "alert"):
        assert dropped not in text


def test_html_fragment_named_html() -> None:
    assert only_text("frag.htm", b"<p>One</p><p>Two &amp; three</p>") == "One\n\nTwo & three"
