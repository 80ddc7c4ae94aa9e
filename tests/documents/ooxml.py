"""Office Open XML fixtures written by hand with zipfile: what Word, PowerPoint and Excel write
and python-docx, python-pptx and openpyxl do not (content controls, text boxes, tracked
changes, Strict namespaces, other content types)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
NAMESPACES = (
    f'xmlns:w="{W_NS}" xmlns:r="{R_NS}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" mc:Ignorable="wps"'
)


def rezip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The package with every member passed through `change(name, body)`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, change(item.filename, source.read(item)))
    return buffer.getvalue()


def with_content_type(data: bytes, old: str, new: str) -> bytes:
    """The package with its main part declared as another (macro, template, show) variant."""

    def change(name: str, body: bytes) -> bytes:
        return body.replace(old.encode(), new.encode()) if name == "[Content_Types].xml" else body

    return rezip(data, change)


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def para(*content: str, style: str | None = None) -> str:
    properties = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{properties}{''.join(content)}</w:p>"


def sdt(content: str, properties: str = "") -> str:
    return f"<w:sdt><w:sdtPr>{properties}</w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>"


def cell(content: str) -> str:
    return f"<w:tc><w:tcPr/>{content}</w:tc>"


def row(*cells: str, deleted: bool = False) -> str:
    properties = '<w:trPr><w:del w:id="90" w:author="A"/></w:trPr>' if deleted else ""
    return f"<w:tr>{properties}{''.join(cells)}</w:tr>"


def table(*rows: str) -> str:
    return f"<w:tbl><w:tblPr/><w:tblGrid/>{''.join(rows)}</w:tbl>"


def text_box(*paragraphs: str) -> str:
    """A text box as Word writes it: DrawingML, with a VML copy for older readers."""
    content = f"<w:txbxContent>{''.join(paragraphs)}</w:txbxContent>"
    return (
        "<w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx>{content}</wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f'<mc:Fallback><w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict></mc:Fallback>'
        "</mc:AlternateContent></w:r>"
    )


def vml_text_box(*paragraphs: str) -> str:
    content = f"<w:txbxContent>{''.join(paragraphs)}</w:txbxContent>"
    return f"<w:r><w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict></w:r>"


_STYLES = (
    f'<w:styles xmlns:w="{W_NS}">'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>'
    "</w:styles>"
)


def word_package(
    body: str,
    *,
    headers: tuple[str, ...] = (),
    footers: tuple[str, ...] = (),
    footnotes: tuple[str, ...] = (),
    endnotes: tuple[str, ...] = (),
    main_type: str = WORD_MAIN,
) -> bytes:
    """A .docx from raw WordprocessingML: `body` is the content of <w:body>; each header, footer,
    footnote and endnote is the paragraphs of one."""
    parts: dict[str, str] = {}
    rels: list[tuple[str, str, str]] = [("rIdStyles", "styles", "styles.xml")]
    overrides = {
        "/word/document.xml": main_type,
        "/word/styles.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml",
    }
    references = []
    for kind, contents in (("header", headers), ("footer", footers)):
        for number, paragraphs in enumerate(contents, start=1):
            name = f"{kind}{number}.xml"
            root = {"header": "hdr", "footer": "ftr"}[kind]
            parts[f"word/{name}"] = f"<w:{root} {NAMESPACES}>{paragraphs}</w:{root}>"
            rel_id = f"rId{kind}{number}"
            rels.append((rel_id, kind, name))
            overrides[f"/word/{name}"] = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"
            # each section refers to it as its default and first-page one: still read once
            references.append(f'<w:{kind}Reference w:type="default" r:id="{rel_id}"/>')
            references.append(f'<w:{kind}Reference w:type="first" r:id="{rel_id}"/>')
    for kind, notes in (("footnote", footnotes), ("endnote", endnotes)):
        if not notes:
            continue
        separators = (
            f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
            f'<w:{kind} w:type="continuationSeparator" w:id="0">'
            f"<w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>"
        )
        items = "".join(f'<w:{kind} w:id="{n}">{p}</w:{kind}>' for n, p in enumerate(notes, start=1))
        parts[f"word/{kind}s.xml"] = f"<w:{kind}s {NAMESPACES}>{separators}{items}</w:{kind}s>"
        rels.append((f"rId{kind}s", f"{kind}s", f"{kind}s.xml"))
        overrides[f"/word/{kind}s.xml"] = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml"
    section = f"<w:sectPr>{''.join(references)}</w:sectPr>"
    second_section = f"<w:p><w:pPr><w:sectPr>{''.join(references)}</w:sectPr></w:pPr></w:p>" if references else ""
    body = f"<w:body>{body}{second_section}{section}</w:body>"
    parts["word/document.xml"] = f"<w:document {NAMESPACES}>{body}</w:document>"
    parts["word/styles.xml"] = _STYLES
    parts["word/_rels/document.xml.rels"] = (
        f'<Relationships xmlns="{PKG_RELS}">'
        + "".join(f'<Relationship Id="{i}" Type="{DOC_RT}/{t}" Target="{target}"/>' for i, t, target in rels)
        + "</Relationships>"
    )
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" '
        f'Type="{DOC_RT}/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in overrides.items())
        + "</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + xml)
    return buffer.getvalue()


_TRANSITIONAL = re.compile(
    rb"http://schemas\.openxmlformats\.org/(officeDocument|drawingml|spreadsheetml)/2006/"
)


def as_strict(data: bytes) -> bytes:
    """A Transitional package rewritten as Excel's "Strict Open XML" save writes it."""

    def change(name: str, body: bytes) -> bytes:
        if not name.endswith((".xml", ".rels")):
            return body
        body = body.replace(b"/2006/extended-properties", b"/2006/extendedProperties")
        body = body.replace(b"/2006/relationships/extended-properties", b"/2006/relationships/extendedProperties")
        body = _TRANSITIONAL.sub(rb"http://purl.oclc.org/ooxml/\1/", body)
        if name == "xl/workbook.xml":
            body = body.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
        return body

    return rezip(data, change)
