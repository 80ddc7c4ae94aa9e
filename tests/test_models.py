import pytest

from casebook.errors import InputError
from casebook.models import Submission, parse_company_info

INFO = (
    "{Company description}: Regional freight and warehousing.\n"
    "Runs 4 depots.\n"
    "{Overall Readiness score}: 58/100\n"
    "{Agent-readiness category}: Adopter\n"
    "{Report Expectations}: A phased roadmap"
)


@pytest.mark.parametrize(
    "key", ["company_name", "name", "company", "companyName", "Company Name", "Json Data Company Name"]
)
def test_company_name_aliases(key: str) -> None:
    assert Submission.parse({key: "  Acme Corp "}).company_name == "Acme Corp"


@pytest.mark.parametrize("key", ["use_cases", "use_cases_count", "Number of use cases to generate"])
def test_use_case_count_aliases_accept_strings(key: str) -> None:
    assert Submission.parse({"name": "A", key: "3"}).use_cases_count == 3


@pytest.mark.parametrize("key", ["google_drive_link", "Google Drive Link", "googleDriveLink"])
def test_drive_link_aliases(key: str) -> None:
    link = "https://drive.google.com/drive/folders/abc"
    assert Submission.parse({"name": "A", key: link}).google_drive_link == link


def test_defaults() -> None:
    sub = Submission.parse({"company_name": "A"})
    assert sub.use_cases_count == 7
    assert sub.readiness_score is None


def test_company_info_text_fills_fields() -> None:
    sub = Submission.parse({"company_name": "A", "company_info": INFO})
    assert sub.company_description == "Regional freight and warehousing.\nRuns 4 depots."
    assert sub.readiness_score == 58
    assert sub.readiness_category == "Adopter"
    assert sub.report_expectations == "A phased roadmap"


def test_explicit_fields_win_over_company_info() -> None:
    sub = Submission.parse({"company_name": "A", "company_info": INFO, "overall_readiness_score": 70})
    assert sub.readiness_score == 70


def test_plain_company_info_becomes_description() -> None:
    sub = Submission.parse({"company_name": "A", "company_info": "We sell bikes."})
    assert sub.company_description == "We sell bikes."


def test_parse_company_info_ignores_unknown_labels() -> None:
    assert parse_company_info("{Favourite colour}: blue\n{Report Expectations}: x") == {"report_expectations": "x"}


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({}, "company_name: is required"),
        ({"name": "   "}, "name: String should have at least 1 character"),
        ({"name": "A", "use_cases": 0}, "use_cases: Input should be greater than or equal to 1"),
        ({"name": "A", "use_cases_count": 21}, "use_cases_count: Input should be less than or equal to 20"),
        ({"name": "A", "readiness_score": 140}, "readiness_score: Input should be less than or equal to 100"),
        ({"name": "A", "overall_readiness_score": "high"}, "must be a number from 0 to 100"),
        ({"name": "A", "googleDriveLink": "https://evil.example/x"}, "must be a Google Drive link"),
    ],
)
def test_bad_values_name_the_field_and_what_is_allowed(data: dict, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        Submission.parse(data)
    assert fragment in str(info.value)
