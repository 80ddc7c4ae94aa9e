"""The evidence step keeps only items whose passage holds their quote and figures."""

from __future__ import annotations

import pytest

from casebook.llm import StepModel, UsageLedger, load_prices
from casebook.models import Passage, Submission
from casebook.steps.evidence import extract_evidence
from casebook.testing import FakeLLM

MODEL = StepModel("gpt-4o-mini", 2000, 0.2)
SUB = Submission.parse({"company_name": "Northwind Logistics"})
FULL = {
    "S1": "Accounts payable employs 9 FTE who match subcontractor invoices by hand. "
    "About a fifth of the 38,400 invoices a year do not match, mostly because of waiting time.",
    "S2": "The head of customer service: “We call it the Bible” – an Excel file with every customer's rules.",
}
PASSAGES = [
    Passage(source_id=sid, chunk_id=sid.lower(), file="notes.md", page=None, text=text[:70])
    for sid, text in FULL.items()
]


def item(fact: str, quote: str, source: str) -> dict[str, str]:
    return {"fact": fact, "quote": quote, "source": source}


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-from-env-never-used")


async def test_fabricated_quotes_and_figures_are_dropped_before_any_later_step() -> None:
    answer = {
        "themes": [
            {
                "name": "Finance",
                "summary": "Manual invoice work.",
                "items": [
                    item("Nine FTE match invoices by hand.", "employs 9 FTE who match subcontractor invoices", "S1"),
                    item("A fifth of 38,400 invoices do not match.", "mostly because of waiting time", "S1"),
                    item("Invoices are matched manually.", "we match every invoice twice", "S1"),  # invented
                    item("Half of the 52,000 invoices are disputed.", "invoices by hand", "S1"),  # figure invented
                ],
            },
            {
                "name": "Service",
                "summary": "Knowledge in one file.",
                "items": [
                    item("Agents keep rules in an Excel file.", "we call it the bible", "S2"),  # case and quotes
                    item('Agents say "the file is always out of date" there.', "an Excel file", "S2"),
                ],
            },
            {
                "name": "Invented",
                "summary": "Nothing here holds.",
                "items": [item("Drivers love the app.", "drivers love the new app", "S2")],
            },
        ]
    }
    fake = FakeLLM()
    fake.enqueue(answer)
    async with fake.llm_client(UsageLedger(load_prices())) as client:
        evidence = await extract_evidence(client, MODEL, SUB, PASSAGES, full_texts=FULL)
    kept = [i.fact for t in evidence.themes for i in t.items]
    assert kept == [
        "Nine FTE match invoices by hand.",
        "A fifth of 38,400 invoices do not match.",  # the quote is past what the model was shown: full text
        "Agents keep rules in an Excel file.",
    ]
    assert [t.name for t in evidence.themes] == ["Finance", "Service"]  # a theme left empty is dropped
    reasons = {d.fact: d.reason for d in evidence.dropped}
    assert reasons == {
        "Invoices are matched manually.": "the quote is not in S1",
        "Half of the 52,000 invoices are disputed.": "52,000 not in S1",
        'Agents say "the file is always out of date" there.': "the fact quotes text that is not in S2",
        "Drivers love the app.": "the quote is not in S2",
    }
