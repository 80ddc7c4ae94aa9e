from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.documents.index import PassageIndex, fts_query
from casebook.documents.store import DocumentStore
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


A, B = "a" * 64, "b" * 64


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DocumentStore]:
    with DocumentStore(tmp_path / "index" / "passages.sqlite") as store:
        store.add_version(
            A,
            "pdf",
            100,
            3,
            [
                chunk(0, "The on-time delivery rate was 91.4% in 2025 across all depots."),
                chunk(1, "Invoice matching is manual and takes nine full-time employees.", page=2),
                chunk(2, "Warehouse picking errors fell after the scanner roll-out.", page=3),
            ],
        )
        store.add_version(
            B,
            "docx",
            50,
            1,
            [chunk(0, "The COO wants route planning to leave spreadsheets.", file="notes.docx", page=None, sha=B)],
        )
        store.record_set("run-1", "run", {"report.pdf": A, "notes.docx": B}, current=True)
        yield store


@pytest.fixture
def index(store: DocumentStore) -> PassageIndex:
    return store.view("run-1")


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
    with DocumentStore(path) as store:
        store.add_version("c" * 64, "txt", 1, 1, [chunk(0, "alpha beta gamma", file="a.txt", sha="c" * 64)])
        store.record_set("s", "ingest", {"a.txt": "c" * 64}, current=True)
        store.view("s").search(text)


def test_each_set_sees_only_its_own_versions(store: DocumentStore, index: PassageIndex) -> None:
    D = "d" * 64
    store.add_version(D, "pdf", 10, 1, [chunk(0, "entirely new content about invoice matching", sha=D)])
    store.record_set("run-2", "run", {"report.pdf": D}, current=True)
    newer = store.view("run-2")
    assert [h.chunk_id for h in newer.search("invoice matching")] == [f"{D[:12]}-0000"]
    assert newer.search("route planning") == []
    assert newer.chunk(f"{A[:12]}-0001") is None and newer.chunk(f"{D[:12]}-0000") is not None
    # the earlier set is untouched: same names, same passages, same text
    assert index.search("entirely new") == []
    assert index.chunk(f"{A[:12]}-0001").text == "Invoice matching is manual and takes nine full-time employees."
    assert index.fingerprint() != newer.fingerprint()
    assert index.counts() == {"documents": 2, "chunks": 4} and newer.counts() == {"documents": 1, "chunks": 1}


def test_same_content_under_two_names_is_stored_once(store: DocumentStore) -> None:
    assert store.add_version(A, "pdf", 100, 3, [chunk(0, "other text")]) == 0  # known: no work
    store.record_set("twins", "run", {"a/report.pdf": A, "b/copy.pdf": A}, current=False)
    view = store.view("twins")
    assert view.counts() == {"documents": 1, "chunks": 3}
    assert {h.file for h in view.search("invoice matching")} == {"a/report.pdf"}
    assert view.has_passage("b/copy.pdf", 2) and view.has_passage("a/report.pdf", 2)


def test_skipped_documents_are_remembered_with_reason(store: DocumentStore) -> None:
    store.add_skipped("e" * 64, 99, "no text layer")
    store.record_set("s", "run", {"scan.pdf": "e" * 64}, current=False)
    doc = store.view("s").documents()["scan.pdf"]
    assert (doc.status, doc.reason, doc.chunks) == ("skipped", "no text layer", 0)


def test_has_passage_checks_file_and_page(index: PassageIndex) -> None:
    assert index.has_passage("report.pdf", 3)
    assert not index.has_passage("report.pdf", 9)
    assert index.has_passage("notes.docx", None)
    assert not index.has_passage("missing.pdf", None)


def test_a_set_cannot_name_a_version_the_store_lacks(store: DocumentStore) -> None:
    assert store.record_set("s", "run", {"x.pdf": "f" * 64, "report.pdf": A}, current=True) == ["f" * 64]
    assert store.set_files("s") == {} and store.current_set() == "run-1"


def test_a_set_in_many_pieces_searches_the_same(
    store: DocumentStore, index: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a few hundred rowid ranges the search filters by version instead; same hits."""
    import casebook.documents.index as module

    queries = ["invoice matching employees", "route planning", "delivery rate depots", "scanner"]
    by_range = [[(h.chunk_id, h.file, h.score) for h in index.search(q, k=3)] for q in queries]
    monkeypatch.setattr(module, "_MAX_RANGES", 0)
    by_version = [[(h.chunk_id, h.file, h.score) for h in store.view("run-1").search(q, k=3)] for q in queries]
    assert by_range == by_version and all(by_range)
