from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook.documents.index import PassageIndex
from casebook.documents.store import DocumentStore
from casebook.models import Chunk, Evidence, EvidenceItem, Passage, Theme
from casebook.steps.verify import verify_citations


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PassageIndex]:
    with DocumentStore(tmp_path / "p.sqlite") as store:
        store.add_version(
            "a" * 64,
            "pdf",
            1,
            3,
            [
                Chunk(
                    chunk_id="aaaaaaaaaaaa-0000",
                    file="report.pdf",
                    doc_sha256="a" * 64,
                    page=2,
                    start=0,
                    end=30,
                    text="Invoice matching takes nine FTE.",
                ),
                Chunk(
                    chunk_id="aaaaaaaaaaaa-0001",
                    file="report.pdf",
                    doc_sha256="a" * 64,
                    page=3,
                    start=0,
                    end=30,
                    text="On-time delivery was 91.4%.",
                ),
            ],
        )
        store.record_set("run-1", "run", {"report.pdf": "a" * 64}, current=True)
        yield store.view("run-1")


def evidence() -> Evidence:
    passages = [
        Passage(
            source_id="S1",
            chunk_id="aaaaaaaaaaaa-0000",
            file="report.pdf",
            page=2,
            text="Invoice matching takes nine FTE.",
        ),
        Passage(
            source_id="S2", chunk_id="aaaaaaaaaaaa-0001", file="report.pdf", page=3, text="On-time delivery was 91.4%."
        ),
        # a passage whose chunk no longer exists in the index
        Passage(source_id="S3", chunk_id="ffffffffffff-0009", file="gone.pdf", page=1, text="Deleted."),
    ]
    theme = Theme(name="Ops", summary="", items=[EvidenceItem(fact="f", quote="q", source="S1")])
    return Evidence(themes=[theme], passages=passages)


def test_valid_citations_become_numbered_sources(index: PassageIndex) -> None:
    result = verify_citations("Matching is manual [S1]. Delivery is 91.4% [S2][S1].", evidence(), index)
    assert result.markdown.startswith("Matching is manual [1]. Delivery is 91.4% [2][1].")
    assert (result.citations_total, result.citations_valid) == (3, 3)
    assert "1. report.pdf, p. 2 — “Invoice matching takes nine FTE.”" in result.markdown
    assert "2. report.pdf, p. 3" in result.markdown


def test_planted_bad_citations_are_removed_and_counted(index: PassageIndex) -> None:
    text = (
        "Fact one [S1]. Made up [S99]. Stale [S3]. Grouped [S2, S77]. Direct [report.pdf, p. 3]. "
        "Bad page [report.pdf, p. 9]. Nope [ghost.docx, p. 1]."
    )
    result = verify_citations(text, evidence(), index)
    assert result.citations_total == 8
    assert result.citations_valid == 3
    assert sorted(result.removed[:3]) == ["S3", "S77", "S99"]
    body = result.markdown.split("## Sources")[0]
    assert "Made up." in body and "Stale." in body and "Grouped [2]." in body
    assert "Direct [2]." in body and "Bad page." in body and "Nope." in body
    assert "S99" not in result.markdown and "ghost" not in result.markdown


def test_report_without_resolvable_citations_says_so(index: PassageIndex) -> None:
    result = verify_citations("Nothing cited [S42].", evidence(), index)
    assert result.citations_valid == 0
    assert "could be resolved" in result.markdown
