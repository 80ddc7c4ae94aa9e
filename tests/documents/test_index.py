from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.documents.index import PassageIndex, fts_query
from casebook.models import Chunk


def chunk(n: int, text: str, file: str = "report.pdf", page: int | None = 1, sha: str = "a" * 64) -> Chunk:
    return Chunk(
        chunk_id=f"{sha[:12]}-{n:04d}",
        file=file,
        doc_sha256=sha,
        page=page,
        section=None,
        start=0,
        end=len(text),
        text=text,
    )


@pytest.fixture
def index(tmp_path: Path) -> PassageIndex:
    idx = PassageIndex(tmp_path / "index" / "passages.sqlite")
    idx.replace_document(
        "report.pdf",
        "a" * 64,
        "pdf",
        100,
        3,
        [
            chunk(0, "The on-time delivery rate was 91.4% in 2025 across all depots."),
            chunk(1, "Invoice matching is manual and takes nine full-time employees.", page=2),
            chunk(2, "Warehouse picking errors fell after the scanner roll-out.", page=3),
        ],
    )
    idx.replace_document(
        "notes.docx",
        "b" * 64,
        "docx",
        50,
        1,
        [
            chunk(0, "The COO wants route planning to leave spreadsheets.", file="notes.docx", page=None, sha="b" * 64),
        ],
    )
    return idx


def test_natural_language_query_finds_the_passage_with_provenance(index: PassageIndex) -> None:
    hits = index.search("how many employees work on matching invoices?", k=3)
    assert hits[0].file == "report.pdf" and hits[0].page == 2
    assert "nine full-time" in hits[0].text
    assert hits[0].score > 0


def test_terms_are_or_ed_so_partial_matches_count(index: PassageIndex) -> None:
    hits = index.search("route planning drones blockchain")
    assert [h.file for h in hits] == ["notes.docx"]


def test_porter_stemming(index: PassageIndex) -> None:
    assert index.search("deliveries")[0].page == 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "NEAR(a b)",
        "*",
        "a OR",
        "AND AND",
        "text:invoice",
        "^invoice",
        "-invoice",
        "invoice)",
        "(((",
        "'; DROP TABLE chunks; --",
        "\x00",
        "the of and",
        "   ",
        "é*ç",
    ],
)
def test_fts_syntax_in_user_text_never_breaks_or_injects(index: PassageIndex, query: str) -> None:
    index.search(query)  # must not raise
    assert index.counts() == {"documents": 2, "chunks": 4}


def test_stop_word_only_query_still_searches(index: PassageIndex) -> None:
    assert fts_query("the of and") == '"the" OR "of" OR "and"'
    assert fts_query("?!") is None


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_text_is_a_valid_query(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("idx") / "p.sqlite"
    with PassageIndex(path) as idx:
        idx.replace_document("a.txt", "c" * 64, "txt", 1, 1, [chunk(0, "alpha beta gamma", file="a.txt")])
        idx.search(text)


def test_replace_and_remove_keep_fts_in_sync(index: PassageIndex) -> None:
    index.replace_document("report.pdf", "d" * 64, "pdf", 10, 1, [chunk(0, "entirely new content", sha="d" * 64)])
    assert index.search("invoice matching") == []
    assert index.search("entirely new")[0].file == "report.pdf"
    before = index.fingerprint()
    index.remove_document("notes.docx")
    assert index.search("route planning") == []
    assert index.fingerprint() != before
    assert index.counts() == {"documents": 1, "chunks": 1}


def test_skipped_documents_are_remembered_with_reason(index: PassageIndex) -> None:
    index.mark_skipped("scan.pdf", "e" * 64, 99, "no text layer")
    doc = index.documents()["scan.pdf"]
    assert (doc.status, doc.reason, doc.chunks) == ("skipped", "no text layer", 0)


def test_has_passage_checks_file_and_page(index: PassageIndex) -> None:
    assert index.has_passage("report.pdf", 3)
    assert not index.has_passage("report.pdf", 9)
    assert index.has_passage("notes.docx", None)
    assert not index.has_passage("missing.pdf", None)
