"""Report templates: the built-in ones load, and a bad file names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.errors import ConfigError
from casebook.render import builtin_template, load_template
from casebook.render.template import SECTION_IDS


def test_default_template_follows_the_original_structure() -> None:
    template = load_template()
    assert template.language == "en"
    assert [s.id for s in template.sections] == list(SECTION_IDS)
    assert [s.heading for s in template.sections] == [
        "Executive summary",
        "AI readiness",
        "Use case portfolio",
        "Part A: Company analysis",
        "Part B: Use cases in depth",
        "Roadmap",
        "Sources",
    ]
    assert template.label("readiness_score") == "Readiness score"
    assert template.label("title", company="Acme") == "AI Readiness Report: Acme"
    assert template.horizon("0-6 months") == "0-6 months"
    assert "English" in template.tone


def test_german_template_has_the_same_structure_in_german() -> None:
    default, german = load_template(), builtin_template("de")
    assert german.language == "de"
    assert [s.id for s in german.sections] == [s.id for s in default.sections]
    assert all(
        g.heading != d.heading for g, d in zip(german.sections, default.sections, strict=True)
    )
    assert set(german.labels) == set(default.labels)
    assert german.label("impact") == "Wirkung" and german.label("effort") == "Aufwand"
    assert german.horizon("12-24 months") == "12–24\u00a0Monate"
    assert "Deutsch" in german.tone


def test_a_partial_template_falls_back_to_the_default_labels(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text(
        'name = "short"\nlanguage = "nl"\ntone = "Schrijf in het Nederlands."\n'
        '[[sections]]\nid = "roadmap"\nheading = "Routekaart"\n'
        '[[sections]]\nid = "sources"\nheading = "Bronnen"\n'
        '[labels]\nimpact = "Impact (1-5)"\n'
    )
    template = load_template(path)
    assert [(s.id, s.heading) for s in template.sections] == [
        ("roadmap", "Routekaart"),
        ("sources", "Bronnen"),
    ]
    assert template.label("impact") == "Impact (1-5)" and template.label("effort") == "Effort"
    assert template.tone == "Schrijf in het Nederlands." and template.source == str(path)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "x"\nlanguage = "en"\ncolour = "red"\n', "colour"),
        ('[[sections]]\nid = "summary"\nheading = "S"\n', "sections[0].id"),
        ('[[sections]]\nid = "sources"\nheading = ""\n', "sections[0].heading"),
        (
            '[[sections]]\nid = "sources"\nheading = "A"\n'
            '[[sections]]\nid = "sources"\nheading = "B"\n',
            "sections[1].id",
        ),
        ('[[sections]]\nid = "roadmap"\nheading = "Roadmap"\n', "sections"),
        ('[labels]\nimpakt = "Impact"\n', "labels.impakt"),
        ("[labels]\nimpact = 3\n", "labels.impact"),
        ('[labels]\ntitle = "Report for {client}"\n', "labels.title"),
        ('[horizons]\n"0-3 months" = "soon"\n', "horizons.0-3 months"),
        ("language = 7\n", "language"),
    ],
)
def test_a_bad_template_names_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_template(path)
    assert str(path) in str(caught.value) and f"{key}:" in str(caught.value)


def test_unreadable_templates_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_template(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[sections]\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML"):
        load_template(broken)
    with pytest.raises(ConfigError, match="no built-in report template 'klingon'"):
        builtin_template("klingon")
