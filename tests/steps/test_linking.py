"""A model's uncited sentences: cited where a passage supports them, dropped where they state a
share or an amount that nothing holds, left alone otherwise."""

from __future__ import annotations

from casebook.steps.linking import link_uncited

PASSAGES = {
    "S1": "The IT & Data team has 14 people: the head of IT, 4 infrastructure engineers and 2 data engineers.",
    "S2": "Temporary agency labour at Venlo rose to EUR 6.2 million in 2025 because volumes were forecast by hand.",
}
PART_A = """### Key themes

Manual work and delays. The IT & Data team has 14 people in total. On-time delivery reached 100% on all lanes. \
Agency labour at Venlo rose to EUR 6.2 million in 2025. Savings of EUR 3 million are certain. \
The team is ready for a first pilot within 6 months. Agency labour at Venlo rose to EUR 9.9 million, already cited [S2].
"""


def test_uncited_sentences_are_cited_dropped_or_left_as_they_are() -> None:
    linked = link_uncited(PART_A, PASSAGES, intake="Targets: 95% on-time delivery by 2028")
    text = linked.markdown
    assert "The IT & Data team has 14 people in total [S1]." in text
    assert "Agency labour at Venlo rose to EUR 6.2 million in 2025 [S2]." in text
    assert "100%" not in text and "EUR 3 million" not in text  # made-up share and amount
    assert "Manual work and delays." in text  # too short to cite: left alone
    assert "within 6 months." in text  # a duration, no passage's to prove: left alone
    assert "EUR 9.9 million, already cited [S2]." in text  # cited sentences are verify's to judge
    assert len(linked.cited) == 2 and len(linked.dropped) == 2
    assert "  " not in text.replace("\n", "")  # no gap where a sentence was


def test_a_figure_the_passages_lack_is_never_cited_to_them() -> None:
    linked = link_uncited("The IT & Data team has 15 people in total.", PASSAGES)
    assert "[S" not in linked.markdown and linked.cited == []


def test_a_list_item_whose_only_sentence_is_dropped_goes_with_it() -> None:
    text = (
        "Benefits:\n\n- Planners save 40% of their weekly planning hours at every warehouse.\n"
        "- The IT & Data team has 14 people in total.\n"
    )
    linked = link_uncited(text, PASSAGES)
    assert linked.markdown == "Benefits:\n\n- The IT & Data team has 14 people in total [S1].\n"
