"""What kind of document a file is, decided by its content; the extension only breaks ties."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from casebook.documents.formats.decode import decode_text
from casebook.documents.formats.textual import json_values
from casebook.documents.pages import KIND_NAMES, Unreadable

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_EXTENSIONS = {
    "pdf": "pdf", "docx": "docx", "docm": "docx", "dotx": "docx", "dotm": "docx",
    "pptx": "pptx", "pptm": "pptx", "ppsx": "pptx", "ppsm": "pptx", "potx": "pptx", "potm": "pptx",
    "xlsx": "xlsx", "xlsm": "xlsx", "xltx": "xlsx", "xltm": "xlsx",
    "csv": "csv", "tsv": "csv",
    "json": "json", "jsonl": "json", "ndjson": "json",
    "txt": "txt", "text": "txt", "log": "txt",
    "md": "md", "markdown": "md",
    "html": "html", "htm": "html", "xhtml": "html",
    "png": "image", "jpg": "image", "jpeg": "image", "tif": "image", "tiff": "image", "bmp": "image",
    "webp": "image",
    "doc": "legacy", "dot": "legacy", "xls": "legacy", "xlt": "legacy", "ppt": "legacy", "pps": "legacy",
    "pot": "legacy",
}
_TEXT_KINDS = {"csv", "json", "txt", "md", "html"}
_OOXML_FOLDERS = (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx"))
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.I | re.S
)
_JSON_START = re.compile(r"\s*[{\[]")
_HTML_PARTS = re.compile(r"<(?:head|body)[\s>]", re.I)
_ANY_TAG = re.compile(r"<[a-z!/][^>]*>", re.I)
_OCR = "save it as PNG, JPEG or TIFF to have it read by OCR"
_ARCHIVE = "unzip or extract it and upload the documents inside"


def _binary_kind(data: bytes) -> tuple[str, str] | None:
    """(what it is, advice) for binary formats we recognise but cannot read."""
    head = data[:16]
    table = [
        (head.startswith((b"GIF87a", b"GIF89a")), "a GIF image", _OCR),
        (data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"), "a HEIC image", _OCR),
        (head.startswith(b"\x1f\x8b"), "a gzip archive", _ARCHIVE),
        (head.startswith(b"7z\xbc\xaf\x27\x1c"), "a 7-Zip archive", _ARCHIVE),
        (head.startswith(b"Rar!\x1a\x07"), "a RAR archive", _ARCHIVE),
        (head.startswith(b"\xfd7zXZ\x00"), "an xz archive", _ARCHIVE),
        (head.startswith(b"{\\rtf"), "an RTF document", "save it as .docx or .pdf"),
    ]
    return next(((what, advice) for hit, what, advice in table if hit), None)


def _is_image(data: bytes) -> bool:
    """PNG, JPEG, TIFF, BMP or WebP: read by OCR."""
    return (
        data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"))
        or (data.startswith(b"BM") and data[6:10] == b"\x00" * 4)
        or (data.startswith(b"RIFF") and data[8:12] == b"WEBP")
    )


def _extension(name: str) -> str | None:
    """The kind the file's name claims ("legacy" for .doc/.xls/.ppt), or None."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return _EXTENSIONS.get(base.rpartition(".")[2]) if "." in base else None


def _despite(claimed: str | None, actual: str | None) -> str:
    if claimed is None or claimed == actual:
        return ""
    label = "legacy Office" if claimed == "legacy" else KIND_NAMES[claimed]
    article = "an" if label[0] in "AEIOUaeiou" or label == "HTML" else "a"
    return f"not {article} {label} file despite its name: "


def _ole(data: bytes, claimed: str | None) -> Unreadable:
    if "EncryptedPackage".encode("utf-16-le") in data:
        return Unreadable("password-protected Office file: remove the password and upload again")
    return Unreadable(
        _despite(claimed, "legacy")
        + "legacy Word/Excel format: save as .docx/.xlsx (or .pptx for PowerPoint)"
    )


def _zip_kind(data: bytes, claimed: str | None) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = b""
            if "mimetype" in names:  # OpenDocument; read a few bytes only: it could be a bomb
                with archive.open("mimetype") as member:
                    mimetype = member.read(80)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError):
        label = KIND_NAMES[claimed] if claimed in ("docx", "pptx", "xlsx") else "ZIP"
        raise Unreadable(f"corrupt or truncated {label} file: it cannot be opened") from None
    if "[Content_Types].xml" in names:
        for folder, kind in _OOXML_FOLDERS:
            if any(n.startswith(folder) for n in names):
                return kind
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise Unreadable(
            _despite(claimed, "odf")
            + "OpenDocument file (LibreOffice): save as .docx, .xlsx or .pptx"
        )
    raise Unreadable(
        _despite(claimed, "zip")
        + f"a ZIP archive, not a Word, PowerPoint or Excel file: {_ARCHIVE}"
    )


def _looks_csv(text: str) -> bool:
    lines = [line for line in text[:20_000].splitlines()[:21] if line.strip()][:20]
    if len(lines) < 2:
        return False
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        return False
    common = max(set(widths), key=widths.count)
    return common >= 2 and widths.count(common) >= 0.8 * len(widths)


def _looks_json(text: str) -> bool:
    """One JSON document, JSON Lines, or JSON values concatenated."""
    if not _JSON_START.match(text):
        return False
    try:
        json_values(text)
    except (ValueError, RecursionError):
        return False
    return True


def _text_kind(text: str, claimed: str | None) -> str:
    if _looks_json(text):
        return "json"
    head = text[:4096]
    if _HTML_START.match(head) or (claimed not in ("txt", "md") and _HTML_PARTS.search(head)):
        return "html"
    if claimed in _TEXT_KINDS:
        if claimed == "html" and not _ANY_TAG.search(text[:65_536]):
            return "txt"
        return claimed
    return "csv" if _looks_csv(text) else "txt"


def sniff(name: str, data: bytes) -> tuple[str, str | None]:
    """(kind, decoded text for the text kinds, else None); raises Unreadable for the rest."""
    claimed = _extension(name)
    if not data:
        raise Unreadable("empty file (0 bytes): upload the document again")
    if b"%PDF-" in data[:1024]:
        return "pdf", None
    if data.startswith(OLE_MAGIC):
        raise _ole(data, claimed)
    if data.startswith(ZIP_MAGICS):
        return _zip_kind(data, claimed), None
    if _is_image(data):
        return "image", None
    recognised = _binary_kind(data)
    if recognised is not None:
        what, advice = recognised
        prefix = _despite(claimed, None) or "unsupported file type: "
        raise Unreadable(f"{prefix}it is {what} ({advice})")
    text = decode_text(data)
    if text is None:
        prefix = _despite(claimed, None) or "unsupported file type: "
        raise Unreadable(prefix + "binary data, not a PDF, Office or text document")
    return _text_kind(text, claimed), text


def detect_type(name: str, data: bytes) -> str:
    """One of pdf, docx, pptx, xlsx, csv, json, txt, md, html, image; Unreadable for anything else."""
    return sniff(name, data)[0]
