"""Figures read into comparable values: what counts as the same figure, and what is not a figure."""

from __future__ import annotations

import pytest

from casebook.steps.figures import FigureSet, figures


@pytest.mark.parametrize(
    ("sentence", "passage"),
    [
        ("41,200 consignments", "41200 consignments"),
        ("41 200 consignments", "41,200 consignments"),
        ("41\u202f200 consignments", "41 200 consignments"),
        ("63%", "63 percent"),
        ("63 per cent", "63%"),
        ("63 %", '"Share %": 63,'),
        ("€2.1m", "EUR 2.1 million"),
        ("2.1 million euros", "€2,100,000"),
        ("EUR 2,100,000", "EUR 2.1 mn"),
        ("22k contacts", "22,000 contacts"),
        ("91,4 %", "91.4%"),
        ("91%", "91.4%"),  # rounded
        ("EUR 149 million", "EUR 148.6 million"),  # rounded
        ("1 July 2026", "2026-07-01"),
        ("9 FTE", "nine FTE"),
        ("a 4x gain", "four times the volume"),
    ],
)
def test_the_same_figure_written_otherwise_is_found(sentence: str, passage: str) -> None:
    stated = figures(sentence)
    assert stated, sentence
    assert all(FigureSet.of(passage).holds(f) for f in stated), (sentence, passage)


@pytest.mark.parametrize(
    ("sentence", "passage"),
    [
        ("41,300 consignments", "41,200 consignments"),
        ("92%", "91.4%"),
        ("EUR 150 million", "EUR 148.6 million"),  # not a rounding of 148.6 to whole millions
        ("2.1 billion", "2.1 million"),
        ("19 FTE", "nine FTE"),
        ("14 March 2024", "14 March 2023"),
    ],
)
def test_another_figure_is_not_found(sentence: str, passage: str) -> None:
    assert not all(FigureSet.of(passage).holds(f) for f in figures(sentence)), (sentence, passage)


@pytest.mark.parametrize(
    "sentence",
    [
        "Use case 3 builds on phase 2 and step 1.",
        "Impact 4/5, effort 2/5, horizon 0-6 months.",
        "In Q4 consignment NW4437996 in eu-central-1 was cited as S3.",
        "Nine people match invoices.",  # a sentence's own number words are not figures
    ],
)
def test_what_is_not_a_figure(sentence: str) -> None:
    assert figures(sentence) == []


def test_ranges_and_dates_give_every_number() -> None:
    assert [f.text for f in figures("Budget for 2026-2028, from 1 July 2026.")] == ["2026", "2028", "1", "2026"]
