"""Evidence the pipeline picks itself (a small model's set): every item is a sentence of the
passage it cites, and the run keeps the passages its items come from."""

from __future__ import annotations

from casebook.models import Passage
from casebook.steps.claims import quoted_in
from casebook.steps.evidence import evidence_from_passages
from casebook.steps.evidence_extract import pick_evidence

FULL = {
    "S1": "Finance\nAccounts payable employs 9 FTE who match subcontractor invoices by hand every month. "
    "The team was founded long ago and sits in Tilburg with the rest of the office staff.",
    "S2": "Customer service handled 96,400 tickets in 2025, and 14% of them asked where a shipment is. "
    "What keeps you up at night in customer service today?",
    "S3": "Northwind Logistics - Annual Report 2025 Page 11 of 14 Our planners build tours by hand in Excel "
    "workbooks every afternoon, which takes 11 planners most of the day.",
    "S4": "Our IT and data team has 14 people, of whom two are data engineers and one is a BI analyst.",
    "S5": "The IT & Data team has 14 people, of whom 2 are data engineers and one is a BI analyst at the head office.",
    "S6": "The weather was pleasant during the summer outing of the staff association in Venlo last year.",
}
POOL = [
    Passage(source_id=sid, chunk_id=f"c{sid}", file=f"{sid.lower()}.md", page=None, text=text[:60] + " …")
    for sid, text in FULL.items()
]


def test_every_item_is_a_whole_sentence_of_the_passage_it_cites() -> None:
    evidence = evidence_from_passages(POOL, FULL, limit=6, chars=200, themes=6, facts=3)
    texts = {p.source_id: p.text for p in evidence.passages}
    items = [i for t in evidence.themes for i in t.items]
    assert items and evidence.dropped == []
    for item in items:
        assert quoted_in(item.quote, texts[item.source]), item  # shown to the model, cited as is
        assert item.fact.endswith(".") and item.fact[0].isupper()
    facts = " ".join(i.fact for i in items)
    assert "9 FTE who match subcontractor invoices by hand" in facts
    assert "96,400 tickets" in facts
    assert "Finance" not in facts.split()  # a section title run into its sentence is left out
    assert "keeps you up at night" not in facts  # an interviewer's question is no fact
    assert "Page 11 of 14" not in facts  # a PDF's running header glued to a sentence is no fact
    assert "weather" not in facts  # no theme's words, no figure, no pain
    assert not ("Our IT and data team" in facts and "The IT & Data team" in facts)  # one fact, two documents


def test_the_run_keeps_the_passages_its_items_come_from_first_renumbered() -> None:
    picked = pick_evidence(POOL, FULL, limit=3, chars=120, themes=6, facts=3)
    assert [p.source_id for p in picked.passages] == ["S1", "S2", "S3"]
    by_id = {p.source_id: p for p in picked.passages}
    for theme in picked.themes:
        for item in theme.items:
            passage = by_id[item.source]
            assert quoted_in(item.quote, passage.text) and quoted_in(item.quote, FULL[passage.chunk_id[1:]])
    # the passage shown starts at its first picked sentence, marked as cut
    assert any(p.text.startswith("… ") for p in picked.passages)
    assert len(picked.themes) <= 6 and all(len(t.items) <= 3 for t in picked.themes)


def test_themes_and_facts_limits_hold() -> None:
    picked = pick_evidence(POOL, FULL, limit=6, chars=200, themes=1, facts=1)
    assert len(picked.themes) == 1 and len(picked.themes[0].items) == 1


def test_a_sentence_that_leans_on_the_one_before_or_lists_names_is_no_fact() -> None:
    full = {
        "S1": "Customers send photos of damaged pallets to customer service. Agents then attach the image to an "
        "email by hand, which takes 6 minutes per claim.",
        "S2": "Channels for customer contact: Email, phone (Zendesk Talk), web form, portal, EDI, fax.",
        "S3": "Invoice matching is manual and takes 9 FTE in finance who check 41,200 invoices by hand.",
    }
    pool = [
        Passage(source_id=sid, chunk_id=f"c{sid}", file=f"{sid.lower()}.md", page=None, text=text)
        for sid, text in full.items()
    ]
    evidence = evidence_from_passages(pool, full, limit=3, chars=400, themes=6, facts=3)
    facts = " ".join(i.fact for t in evidence.themes for i in t.items)
    assert "41,200 invoices" in facts
    assert "Agents then attach" not in facts  # what image? the sentence before says
    assert "Zendesk Talk" not in facts  # a list of names, not a statement
