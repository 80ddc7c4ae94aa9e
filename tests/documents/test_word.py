"""Word: the text a reader sees, from raw WordprocessingML of the kinds python-docx's own text
leaves out (content controls, text boxes, tracked changes), headers, footers and notes once."""

from __future__ import annotations

import io

import docx

from casebook.config import Settings
from casebook.documents import detect_type, extract_pages
from tests.documents.ooxml import (
    WORD_MAIN,
    cell,
    para,
    row,
    run,
    sdt,
    table,
    text_box,
    vml_text_box,
    with_content_type,
    word_package,
)

SETTINGS = Settings()
COVER = '<w:docPartObj><w:docPartGallery w:val="Cover Pages"/></w:docPartObj>'
PLACEHOLDER = "<w:showingPlcHdr/>"


def text_of(data: bytes, name: str = "doc.docx") -> str:
    pages = extract_pages(name, data, SETTINGS)
    assert len(pages) == 1 and pages[0].page is None
    return pages[0].text


def test_content_controls_cover_page_toc_inline_and_table_cells() -> None:
    toc = para(
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
        '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-3" \\h </w:instrText></w:r>',
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
        f"<w:hyperlink>{run('Fleet overview')}<w:r><w:tab/></w:r>{run('3')}</w:hyperlink>",
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
    )
    body = "".join(
        [
            sdt(para(run("Annual Logistics Review")) + para(run("Northwind Freight")), COVER),
            sdt(toc, '<w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj>'),
            para(run("Fleet overview"), style="Heading1"),
            para(run("Prepared by "), sdt(run("Dana Whitfield")), run(" for the board.")),
            sdt(para(run("Click or tap here to enter text.")), PLACEHOLDER),
            table(
                row(cell(para(run("Depot"))), cell(para(run("Trucks"))), cell(para(run("Manager")))),
                row(cell(para(run("Leeds"))), sdt(cell(para(run("41")))), cell(para(sdt(run("A. Osei"))))),
                sdt(row(cell(para(run("York"))), cell(para(run("17"))), cell(para(run("R. Lund"))))),
            ),
        ]
    )
    assert text_of(word_package(body)).splitlines() == [
        "Annual Logistics Review",
        "Northwind Freight",
        "Fleet overview\t3",
        "",
        "Fleet overview",
        "Prepared by Dana Whitfield for the board.",
        "",
        "Depot | Trucks | Manager",
        "Leeds | 41 | A. Osei",
        "York | 17 | R. Lund",
    ]


def test_text_boxes_drawingml_with_vml_fallback_once_and_vml_alone() -> None:
    body = para(run("Costs rose."), text_box(para(run("Callout: fuel up 12%")))) + para(
        vml_text_box(para(run("Legacy box: tolls flat")))
    )
    assert text_of(word_package(body)).splitlines() == [
        "Costs rose.",
        "Callout: fuel up 12%",
        "",
        "Legacy box: tolls flat",
    ]


def test_tracked_changes_give_the_final_text() -> None:
    body = "".join(
        [
            para(
                run("Budget is "),
                '<w:del w:id="1" w:author="A"><w:r><w:delText>4 million</w:delText></w:r></w:del>',
                f'<w:ins w:id="2" w:author="A">{run("5 million")}</w:ins>',
                run(" euros."),
            ),
            para(f'<w:moveFrom w:id="3" w:author="A">{run("Hire two planners.")}</w:moveFrom>', run("Buy trucks.")),
            para(run("Then: "), f'<w:moveTo w:id="4" w:author="A">{run("Hire two planners.")}</w:moveTo>'),
            table(
                row(cell(para(run("Item"))), cell(para(run("Cost")))),
                row(cell(para(run("Old line"))), cell(para(run("9"))), deleted=True),
                f'<w:ins w:id="5" w:author="A">{row(cell(para(run("New line"))), cell(para(run("7"))))}</w:ins>',
            ),
        ]
    )
    assert text_of(word_package(body)).splitlines() == [
        "Budget is 5 million euros.",
        "Buy trucks.",
        "Then: Hire two planners.",
        "",
        "Item | Cost",
        "New line | 7",
    ]


def test_headers_footers_and_notes_once_per_document() -> None:
    data = word_package(
        para(run("Body text."), '<w:r><w:footnoteReference w:id="1"/></w:r>'),
        headers=(para(run("Northwind Confidential")), para(run("Northwind Confidential"))),
        footers=(para(run("Registered in Leeds")),),
        footnotes=(para('<w:r><w:footnoteRef/></w:r>', run(" Source: fleet register 2024.")),),
        endnotes=(para(run("Figures unaudited.")),),
    )
    text = text_of(data)
    assert text.splitlines() == [
        "Northwind Confidential",
        "Body text.",
        "",
        "Footnotes:",
        "1. Source: fleet register 2024.",
        "",
        "Endnotes:",
        "1. Figures unaudited.",
        "",
        "Registered in Leeds",
    ]


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("Macro-enabled, or a template: the same words.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_macro_and_template_variants_are_read() -> None:
    variants = {
        "report.docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
        "letter.dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "letter.dotm": "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
    for name, content_type in variants.items():
        data = with_content_type(docx_bytes(), WORD_MAIN, content_type)
        assert detect_type(name, data) == "docx"
        assert text_of(data, name) == "Macro-enabled, or a template: the same words.", name
