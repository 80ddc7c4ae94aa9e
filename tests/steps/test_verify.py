"""Claim-level verification: figures, quotations and lexical support against the full passage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook.documents.index import PassageIndex
from casebook.documents.store import DocumentStore
from casebook.models import Chunk, Evidence, EvidenceItem, Passage, Theme
from casebook.steps.claims import normalise
from casebook.steps.verify import doubtful, verify_citations

TEXTS = {
    "S1": "Accounts payable employs 9 FTE who match subcontractor invoices by hand against TMS trips and PODs. "
    "About a fifth of the 38,400 invoices a year do not match.",
    "S2": "Northwind achieved an on-time delivery rate of 91.4% in 2025, against 92.1% in 2024 and a target of 95%. "
    "The fourth quarter reached only 90.5%.",
    "S3": "Customer service handled 96,400 tickets in 2025. Where-is-my-shipment enquiries make up 14% of all "
    "tickets. The head of customer service: we call it the Bible, the Excel file with every customer's rules.",
    "S4": "Route planners build the next day's tours by hand in Excel workbooks with macros written in 2014. "
    "The planning depends on two senior planners who know the customers' time windows.",
}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PassageIndex]:
    chunks = [
        Chunk(chunk_id=f"c{n}", file="report.pdf", doc_sha256="a" * 64, page=n, start=0, end=len(t), text=t)
        for n, t in enumerate(TEXTS.values(), start=1)
    ]
    with DocumentStore(tmp_path / "p.sqlite") as store:
        store.add_version("a" * 64, "pdf", 1, 4, chunks)
        store.record_set("run-1", "run", {"report.pdf": "a" * 64}, current=True)
        yield store.view("run-1")


def evidence(shown: int = 900) -> Evidence:
    passages = [
        Passage(source_id=sid, chunk_id=f"c{n}", file="report.pdf", page=n, text=text[:shown])
        for n, (sid, text) in enumerate(TEXTS.items(), start=1)
    ]
    passages.append(Passage(source_id="S5", chunk_id="gone", file="gone.pdf", page=1, text="A deleted passage."))
    theme = Theme(name="Ops", summary="", items=[EvidenceItem(fact="f", quote="q", source="S1")])
    return Evidence(themes=[theme], passages=passages)


def body(markdown: str) -> str:
    return markdown.split("## Sources")[0]


def test_supported_citations_become_numbered_sources(index: PassageIndex) -> None:
    text = (
        "Invoice matching takes 9 FTE in accounts payable [S1]. "
        "On-time delivery was 91.4% in 2025 [S2][S1]."
    )
    result = verify_citations(text, evidence(), index)
    assert body(result.markdown).startswith("Invoice matching takes 9 FTE in accounts payable [1]. ")
    assert "On-time delivery was 91.4% in 2025 [2]." in result.markdown  # S1 holds no 91.4%
    assert (result.citations_total, result.citations_supported, result.citations_removed) == (3, 2, 1)
    assert result.citations_valid == result.citations_supported  # the old name means supported
    assert "1. report.pdf, p. 1 — “Accounts payable employs 9 FTE" in result.markdown


def test_a_misattributed_figure_is_reattributed_to_the_passage_that_holds_it(index: PassageIndex) -> None:
    result = verify_citations("WISMO enquiries are 14% of all tickets [S4].", evidence(), index)
    assert body(result.markdown).strip() == "WISMO enquiries are 14% of all tickets [1]."
    assert result.sources[0].page == 3  # S3's page, not S4's
    assert (result.citations_supported, result.citations_reattributed, result.citations_removed) == (0, 1, 0)


def test_a_figure_no_passage_holds_removes_the_sentence(index: PassageIndex) -> None:
    text = (
        "- Invoice matching takes 9 FTE [S1].\n"
        "- About 37% of invoices are disputed [S1].\n"
        "- Planners use Excel [S4].\n"
    )
    result = verify_citations(text, evidence(), index)
    kept = body(result.markdown)
    assert "37%" not in kept and "- Invoice matching takes 9 FTE [1]." in kept and "- Planners use Excel [2]." in kept
    assert "\n-\n" not in kept and "- \n" not in kept  # the emptied list item is gone, not left blank
    assert result.sentences_removed == 1 and result.citations_removed == 1
    assert result.decisions[1]["reason"] == "no passage of the run supports 37%"


def test_figures_are_compared_normalised(index: PassageIndex) -> None:
    text = (
        "The team matches about 38 400 invoices a year by hand [S1]. "
        "Customer service handled 96.400 tickets [S3]. "
        "WISMO is 14 per cent of the tickets handled by customer service [S3]. "
        "On-time delivery was 91% in 2025 [S2]. "  # rounded from 91.4%
        "Nine FTE match subcontractor invoices by hand [S1]."  # the passage writes 9
    )
    result = verify_citations(text, evidence(), index)
    assert result.citations_supported == 5 and result.sentences_removed == 0, result.decisions


def test_the_full_passage_is_checked_not_the_text_the_model_was_shown(index: PassageIndex) -> None:
    # the model saw the first 60 characters; "90.5%" is further on in the passage
    result = verify_citations("The fourth quarter reached only 90.5% on-time delivery [S2].", evidence(shown=60), index)
    assert result.citations_supported == 1 and result.sentences_removed == 0


def test_quotations_must_occur_in_the_cited_passage(index: PassageIndex) -> None:
    text = (
        "Customer service keeps an Excel file of customer rules: “We call it the *Bible*” [S3]. "
        'Customer service says "we love our spreadsheets dearly" [S3]. '
        'Tickets are handled in an Excel file, "we call it the Bible" [S1].'
    )
    result = verify_citations(text, evidence(), index)
    kept = body(result.markdown)
    assert "We call it the *Bible*” [1]." in kept  # case, quote marks and emphasis normalised
    assert "spreadsheets dearly" not in kept  # a quotation no passage holds: the sentence goes
    assert 'file, "we call it the Bible" [1].' in kept  # re-attributed from S1 to S3, which holds it
    assert (result.citations_supported, result.citations_reattributed, result.sentences_removed) == (1, 1, 1)


def test_a_sentence_without_figures_keeps_its_text_when_its_citation_goes(index: PassageIndex) -> None:
    text = "Route planning depends on two senior planners who build tours in Excel [S1]. Northwind should act [S2]."
    result = verify_citations(text, evidence(), index)
    kept = body(result.markdown)
    assert "build tours in Excel [1]." in kept and result.sources[0].page == 4  # moved to the planning passage
    assert "Northwind should act." in kept  # nothing in the run supports it: the citation goes, the advice stays
    assert (result.citations_reattributed, result.citations_removed, result.sentences_removed) == (1, 1, 0)


def test_unresolvable_citations_are_reattributed_or_removed(index: PassageIndex) -> None:
    text = (
        "Made up [S99]. Stale [S5]. Accounts payable matches subcontractor invoices by hand [S77]. "
        "Direct [report.pdf, p. 3]. Planners build tours in Excel workbooks [report.pdf, p. 4]. "
        "Bad page [report.pdf, p. 9]."
    )
    result = verify_citations(text, evidence(), index)
    kept = body(result.markdown)
    assert "Made up." in kept and "Stale." in kept and "Direct." in kept and "Bad page." in kept
    assert "by hand [1]." in kept and "Excel workbooks [2]." in kept
    assert (result.citations_total, result.citations_supported, result.citations_reattributed) == (6, 1, 1)
    assert result.citations_removed == 4 and "S99" in result.removed and "report.pdf, p. 9" in result.removed


def test_a_citation_after_the_full_stop_belongs_to_its_sentence(index: PassageIndex) -> None:
    result = verify_citations("On-time delivery was 91.4% in 2025. [S2] Planners use Excel. [S4]", evidence(), index)
    assert body(result.markdown).strip() == "On-time delivery was 91.4% in 2025. [1] Planners use Excel. [2]"


def test_figures_the_intake_gave_need_no_passage(index: PassageIndex) -> None:
    text = "With a readiness score of 58, on-time delivery of 91.4% must reach the 95% target [S2]."
    assert verify_citations(text, evidence(), index).sentences_removed == 1
    result = verify_citations(text, evidence(), index, intake="Readiness score: 58/100")
    assert result.sentences_removed == 0 and result.citations_supported == 1


def test_the_model_check_decides_doubtful_pairs(index: PassageIndex) -> None:
    text = "Senior planners know the customers and their delivery targets [S4]."
    doubts = doubtful(text, evidence(), index)
    # the cited passage, and the best other passage a re-attribution would weigh
    assert [d.key for d in doubts] == ["S4", "S2"] and all(0.3 <= d.score < 0.7 for d in doubts)
    said_no = verify_citations(text, evidence(), index, verdicts={(normalise(doubts[0].claim), "S4"): False})
    said_yes = verify_citations(text, evidence(), index, verdicts={(normalise(doubts[0].claim), "S4"): True})
    assert said_no.citations_supported == 0 and said_yes.citations_supported == 1


def test_report_without_supported_citations_says_so(index: PassageIndex) -> None:
    result = verify_citations("Nothing cited [S42].", evidence(), index)
    assert result.citations_supported == 0
    assert "could be resolved" in result.markdown


def test_code_blocks_and_headings_are_never_removed(index: PassageIndex) -> None:
    text = "## Costs of 37% [S1]\n\n```\nraw 37% [S1]\n```\n"
    result = verify_citations(text, evidence(), index)
    assert "## Costs of 37%\n" in result.markdown and "raw 37% [S1]" in result.markdown
