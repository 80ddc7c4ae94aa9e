"""Strict Office Open XML (ISO/IEC 29500 Strict) read as Transitional.

Excel, Word and PowerPoint can save "Strict Open XML": the same parts and elements, but under
`http://purl.oclc.org/ooxml/...` namespaces and relationship types. openpyxl, python-docx and
python-pptx know only the Transitional names, so a Strict workbook reads as empty. The package
is rewritten with the Transitional names (ECMA-376 Part 1 vs Part 4; the same table as
LibreOffice's namespaces-strict.txt) before the library opens it. Call it after check_zip.
"""

from __future__ import annotations

import io
import re
import zipfile

_MARK = b"http://purl.oclc.org/ooxml/"
_FAMILIES = re.compile(
    rb"http://purl\.oclc\.org/ooxml/"
    rb"(officeDocument|drawingml|wordprocessingml|spreadsheetml|presentationml|schemaLibrary)/"
)
_RENAMED = (  # the two names Strict spells differently, besides the /2006/ segment
    (b"/2006/extendedProperties", b"/2006/extended-properties"),
    (b"/2006/customProperties", b"/2006/custom-properties"),
    (b"/2006/relationships/extendedProperties", b"/2006/relationships/extended-properties"),
    (b"/2006/relationships/customProperties", b"/2006/relationships/custom-properties"),
)
_XML_PARTS = (".xml", ".rels", ".vml")


def is_strict(archive: zipfile.ZipFile) -> bool:
    try:
        with archive.open("_rels/.rels") as rels:
            return _MARK in rels.read(1 << 20)
    except KeyError:
        return False


def _translated(body: bytes) -> bytes:
    if _MARK not in body:
        return body
    body = _FAMILIES.sub(rb"http://schemas.openxmlformats.org/\1/2006/", body)
    for strict, transitional in _RENAMED:
        body = body.replace(strict, transitional)
    return body


def transitional(data: bytes) -> bytes:
    """The package's bytes, Strict namespaces rewritten to Transitional; other packages as they are."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not is_strict(archive):
            return data
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info in archive.infolist():
                body = archive.read(info)
                if info.filename.lower().endswith(_XML_PARTS):
                    body = _translated(body)
                target.writestr(info.filename, body)
    return buffer.getvalue()
