"""A Part A section that still copies the intake form after it was asked again is written from
the evidence instead: a reader has read the intake form already."""

from __future__ import annotations

from casebook.models import Evidence, EvidenceItem, Passage, Submission, Theme
from casebook.steps.part_a import fill_empty_sections, without_copied_sections

DESCRIPTION = (
    "Northwind Logistics B.V. is a family-owned regional logistics company headquartered in Tilburg, "
    "founded in 1987, with road freight, contract warehousing and value-added services across the Benelux."
)


def test_a_copied_section_is_emptied_and_filled_from_the_evidence() -> None:
    submission = Submission.parse({"company_name": "Northwind Logistics", "company_description": DESCRIPTION})
    text = (
        f"### Company context\n\n{DESCRIPTION}\n\n### Readiness assessment\n\nThe company rates itself "
        "an Adopter, with spreadsheets behind most planning [S1].\n\n### Key themes\n\nPlanning by hand [S1]."
    )
    emptied, names = without_copied_sections(text, submission)
    assert names == ["Company context"] and DESCRIPTION not in emptied
    assert "spreadsheets behind most planning [S1]" in emptied  # the sections of its own words stay
    fact = "Tours are built by hand in Excel."
    item = EvidenceItem(fact=fact, quote="built by hand", source="S1")
    evidence = Evidence(
        themes=[Theme(name="Planning", summary="", items=[item])],
        passages=[Passage(source_id="S1", chunk_id="c1", file="a.md", page=None, text=fact)],
    )
    filled = fill_empty_sections(emptied, evidence, submission)
    assert "### Company context\n\nTours are built by hand in Excel [S1]." in filled
    assert without_copied_sections(filled, submission) == (filled, [])
