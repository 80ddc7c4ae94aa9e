"""A webhook mappings file (CASEBOOK_WEBHOOK_MAPPINGS_FILE) is checked as it is loaded: a bad one
is refused with the file and the key that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.errors import ConfigError
from casebook.server.mapping import Mappings


def test_a_good_file_maps_a_payload(tmp_path: Path) -> None:
    path = tmp_path / "mappings.toml"
    path.write_text('[acme-forms]\ncompany_name = "data.answers[0].text"\n')
    mappings = Mappings.load(path)
    payload = {"data": {"answers": [{"text": "Acme"}]}}
    assert mappings.to_submission_data("acme-forms", payload) == {"company_name": "Acme"}
    assert mappings.names("acme-forms") == {"company_name": "data.answers[0].text"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[acme]\ncompany_name = 3\n', "acme.company_name: Input should be a valid string"),
        ('acme = "x"\n', "acme: must be a table"),
        ('[Acme]\ncompany_name = "a.b"\n', "Acme: a source's table is named like a source"),
        ('[acme]\ncompany = "a.b"\n', "acme.company: not a submission field"),
        ('[acme]\ncompany_name = "a..b"\n', "acme.company_name: 'a..b' is not a dotted path"),
        ("[acme\n", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "mappings.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Mappings.load(path)
    assert str(caught.value).startswith(f"webhook mappings file {path}: ")
    assert where in str(caught.value)
